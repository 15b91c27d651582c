package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AdmissionPressureTest {
    private static final long BOUND = TimeUnit.MILLISECONDS.toNanos(100);

    @Test
    void pastTheMostWaitingANewAdmissionIsRefusedAndTakesNothing() {
        AdmissionPressure p = new AdmissionPressure(2, BOUND);
        assertNull(p.tryTake());
        assertNull(p.tryTake());
        assertEquals(AdmissionPressure.Refusal.FULL, p.tryTake());
        assertEquals(2, p.waiting());
        p.answered(1);
        assertNull(p.tryTake());
    }

    @Test
    void afterASlowAnswerOnlyAMessageThatFindsNoneWaitingIsSent() {
        AdmissionPressure p = new AdmissionPressure(100, BOUND);
        assertNull(p.tryTake());
        p.answered(BOUND + 1);
        assertNull(p.tryTake(), "none waiting: it probes");
        assertEquals(AdmissionPressure.Refusal.SLOW, p.tryTake(), "it would wait behind the probe");
        assertEquals(1, p.waiting());
        p.answered(BOUND / 10);
        assertNull(p.tryTake());
        assertNull(p.tryTake(), "quick again: as many as fit");
    }

    @Test
    void whileRedisAnswersNothingForLongerThanTheBoundOnlyTheFirstWaitingIsSent() throws InterruptedException {
        AdmissionPressure p = new AdmissionPressure(100, BOUND);
        assertNull(p.tryTake());
        assertNull(p.tryTake(), "answered nothing yet, but not for long");
        long silentSince = System.nanoTime();
        while (System.nanoTime() - silentSince <= BOUND) {
            Thread.sleep(1); // the silence is the condition under test
        }
        assertEquals(AdmissionPressure.Refusal.SLOW, p.tryTake(), "a stall shows before any answer does");
        p.answered(BOUND / 10);
        assertNull(p.tryTake(), "an answer ends the silence");
    }

    @Test
    void aQuietNodeSendsAtOnceHoweverLongSinceItsLastAnswer() throws InterruptedException {
        AdmissionPressure p = new AdmissionPressure(100, BOUND);
        assertNull(p.tryTake());
        p.answered(1);
        long quietSince = System.nanoTime();
        while (System.nanoTime() - quietSince <= BOUND) {
            Thread.sleep(1);
        }
        assertNull(p.tryTake());
        assertNull(p.tryTake(), "a second one at once: the first has not been waiting long");
    }

    @Test
    void withoutARoundTripBoundOnlyTheCountLimits() {
        AdmissionPressure p = new AdmissionPressure(100, 0);
        assertNull(p.tryTake());
        p.answered(TimeUnit.SECONDS.toNanos(10));
        assertNull(p.tryTake());
        assertNull(p.tryTake());
    }

    @Test
    void crowdedFromHalfTheCountOrHalfTheBoundWithSomeWaiting() {
        AdmissionPressure p = new AdmissionPressure(4, BOUND);
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
        AdmissionPressure p = new AdmissionPressure(1, BOUND);
        assertNull(p.tryTake());
        p.cancelled();
        assertNull(p.tryTake());
    }
}
