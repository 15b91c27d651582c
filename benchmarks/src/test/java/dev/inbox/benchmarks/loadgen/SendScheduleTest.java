package dev.inbox.benchmarks.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SendScheduleTest {

    @Test
    void messagesAreSpacedEvenlyFromTheStartAndStopBeforeTheEnd() {
        long start = 1_000_000_000L;
        SendSchedule s = new SendSchedule(start, start + 1_000_000_000L, 4);
        assertEquals(4, s.count());
        assertEquals(start, s.intendedAt(0));
        assertEquals(start + 250_000_000L, s.intendedAt(1));
        assertEquals(start + 750_000_000L, s.intendedAt(3));
    }

    @Test
    void aFractionalIntervalDoesNotDrift() {
        long start = -5_000_000_000L; // nanoTime may be negative
        SendSchedule s = new SendSchedule(start, start + 10_000_000_000L, 3);
        assertEquals(30, s.count());
        assertEquals(start + 3_333_333_333L, s.intendedAt(10));
        assertEquals(start + 9_666_666_667L, s.intendedAt(29));
        assertEquals(start + 10_000_000_000L, s.intendedAt(30), "the 31st would be at the end: not sent");
    }

    @Test
    void anEmptyWindowHoldsNothing() {
        assertEquals(0, new SendSchedule(10, 10, 1000).count());
    }
}
