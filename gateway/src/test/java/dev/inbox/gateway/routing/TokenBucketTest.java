package dev.inbox.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TokenBucketTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aFullBucketGivesItsBurstThenRefusesUntilItRefills() {
        TokenBucket b = new TokenBucket(2, 3, 0);
        assertTrue(b.tryTake(0));
        assertTrue(b.tryTake(0));
        assertTrue(b.tryTake(0));
        assertFalse(b.tryTake(0), "the burst is spent");
        assertFalse(b.tryTake(SECOND / 4), "a quarter second refills half a token");
        assertTrue(b.tryTake(SECOND / 2), "half a second refills one at 2 a second");
        assertFalse(b.tryTake(SECOND / 2));
    }

    @Test
    void aLongPauseRefillsOnlyUpToTheBurst() {
        TokenBucket b = new TokenBucket(10, 2, 0);
        assertTrue(b.tryTake(0));
        assertTrue(b.tryTake(0));
        assertTrue(b.isFull(3600 * SECOND));
        assertTrue(b.tryTake(3600 * SECOND));
        assertTrue(b.tryTake(3600 * SECOND));
        assertFalse(b.tryTake(3600 * SECOND), "an hour's pause saves two, not 36 000");
    }

    @Test
    void aClockThatStepsBackTakesNothingAway() {
        TokenBucket b = new TokenBucket(1, 1, 10 * SECOND);
        assertTrue(b.tryTake(10 * SECOND));
        assertFalse(b.tryTake(5 * SECOND));
        assertTrue(b.tryTake(6 * SECOND + 1), "refills from the last reading on");
    }

    @Test
    void nonPositiveRatesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(1, 0, 0));
    }
}
