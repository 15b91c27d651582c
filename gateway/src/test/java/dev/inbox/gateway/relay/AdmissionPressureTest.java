package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AdmissionPressureTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long BOUND = 100 * MS;

    private long now;
    private final AdmissionPressure pressure = new AdmissionPressure(100, BOUND, () -> now);

    /** {@code n} admissions sent now (all taken), then answered {@code roundTrip} later, one by one. */
    private void roundTrips(int n, long roundTrip) {
        for (int i = 0; i < n; i++) {
            assertNull(pressure.tryTake());
        }
        now += roundTrip;
        for (int i = 0; i < n; i++) {
            pressure.answered(roundTrip);
        }
    }

    @Test
    void pastTheMostWaitingANewAdmissionIsRefusedAndTakesNothing() {
        AdmissionPressure p = new AdmissionPressure(2, BOUND, () -> now);
        assertNull(p.tryTake());
        assertNull(p.tryTake());
        assertEquals(AdmissionPressure.Refusal.FULL, p.tryTake());
        assertEquals(2, p.waiting());
        p.answered(MS);
        assertNull(p.tryTake());
    }

    @Test
    void aWindowInWhichEveryAnswerWasSlowIsAStandingQueueAndOnlyAProbeIsSent() {
        roundTrips(AdmissionPressure.MIN_ANSWERS, 150 * MS); // the first window: all slow
        now += 10 * MS;
        roundTrips(1, 150 * MS); // ends it
        assertNull(pressure.tryTake(), "none waiting: it probes");
        assertEquals(AdmissionPressure.Refusal.SLOW, pressure.tryTake(), "it would wait behind the probe");
        assertEquals(1, pressure.waiting());

        now += 5 * MS;
        pressure.answered(5 * MS); // quick again, in the window that is being measured
        now += BOUND;
        roundTrips(1, MS); // which ends with a quick answer in it
        assertNull(pressure.tryTake());
        assertNull(pressure.tryTake(), "the queue is gone: as many as fit");
    }

    @Test
    void oneSlowAnswerAmongQuickOnesOrTooFewAnswersAreNoQueue() {
        roundTrips(1, 300 * MS); // a pause or a cold start
        roundTrips(3, 2 * MS);
        now += BOUND;
        roundTrips(1, 2 * MS);
        assertNull(pressure.tryTake());
        assertNull(pressure.tryTake(), "the window's quickest answer was quick");

        AdmissionPressure few = new AdmissionPressure(100, BOUND, () -> now);
        few.tryTake();
        now += 150 * MS;
        few.answered(150 * MS); // one slow answer in a window ...
        now += BOUND;
        few.tryTake();
        few.answered(MS); // ... ends it
        assertNull(few.tryTake());
        assertNull(few.tryTake(), "fewer than " + AdmissionPressure.MIN_ANSWERS + " answers say nothing");
    }

    @Test
    void whileRedisAnswersNothingForLongerThanTheBoundOnlyTheFirstWaitingIsSent() {
        assertNull(pressure.tryTake());
        now += 50 * MS;
        assertNull(pressure.tryTake(), "answered nothing yet, but not for long");
        now += 60 * MS;
        assertEquals(AdmissionPressure.Refusal.SLOW, pressure.tryTake(), "a stall shows before any answer does");
        pressure.answered(110 * MS);
        assertNull(pressure.tryTake(), "an answer ends the silence");
    }

    @Test
    void aQuietNodeSendsAtOnceHoweverLongSinceItsLastAnswer() {
        roundTrips(1, MS);
        now += TimeUnit.MINUTES.toNanos(5);
        assertNull(pressure.tryTake());
        assertNull(pressure.tryTake(), "a second one at once: the first has not been waiting long");
    }

    @Test
    void withoutABoundOnlyTheCountLimits() {
        AdmissionPressure p = new AdmissionPressure(100, 0, () -> now);
        for (int i = 0; i < 10; i++) {
            p.tryTake();
            now += TimeUnit.SECONDS.toNanos(10);
            p.answered(TimeUnit.SECONDS.toNanos(10));
        }
        assertNull(p.tryTake());
        now += TimeUnit.SECONDS.toNanos(10);
        assertNull(p.tryTake());
    }

    @Test
    void crowdedFromHalfTheCountOrASlowAnswerWithSomeWaiting() {
        AdmissionPressure p = new AdmissionPressure(4, BOUND, () -> now);
        assertFalse(p.crowded());
        p.tryTake();
        p.tryTake();
        assertTrue(p.crowded(), "half the count");
        p.answered(BOUND / 2 + 1);
        assertTrue(p.crowded(), "one still waiting, the last answer past half the bound");
        p.answered(BOUND / 2 + 1);
        assertFalse(p.crowded(), "none waiting");
    }

    @Test
    void anAdmissionNotSentAfterAllGivesItsPlaceBack() {
        AdmissionPressure p = new AdmissionPressure(1, BOUND, () -> now);
        assertNull(p.tryTake());
        p.cancelled();
        assertNull(p.tryTake());
    }
}
