package dev.inbox.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.protocol.Ids;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ClockMessageIdsTest {
    private static final long JAN_2026 = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();

    private static long next(ClockMessageIds ids, long conversationId) {
        CompletableFuture<Long> f = ids.next(conversationId).toCompletableFuture();
        assertTrue(f.isDone(), "the clock sequencer completes at once");
        return f.join();
    }

    @Test
    void epochIsTheStartOf2025() {
        assertEquals(Instant.parse("2025-01-01T00:00:00Z").toEpochMilli(), ClockMessageIds.EPOCH_MILLIS);
    }

    @Test
    void firstIdIsTheBasePlusTheClockSinceTheEpochShiftedBySequenceBits() {
        ClockMessageIds ids = new ClockMessageIds(() -> JAN_2026);
        assertEquals(
                Ids.MIN_MESSAGE_ID + ((JAN_2026 - ClockMessageIds.EPOCH_MILLIS) << ClockMessageIds.SEQUENCE_BITS),
                next(ids, 1));
    }

    @Test
    void idsStrictlyIncreaseWithAFixedClock() {
        ClockMessageIds ids = new ClockMessageIds(() -> JAN_2026);
        long previous = next(ids, 1);
        for (int i = 0; i < 10_000; i++) { // well past 2048 per millisecond: ids run ahead of the clock
            long id = next(ids, 1);
            assertEquals(previous + 1, id);
            previous = id;
        }
    }

    @Test
    void idsStrictlyIncreaseWhenTheClockGoesBackwards() {
        AtomicLong now = new AtomicLong(JAN_2026);
        ClockMessageIds ids = new ClockMessageIds(now::get);
        long previous = next(ids, 1);
        for (int i = 0; i < 1_000; i++) {
            now.addAndGet(i % 2 == 0 ? -60_000 : 1); // an NTP step back, then creeping forward
            long id = next(ids, 1);
            assertTrue(id > previous, previous + " then " + id);
            previous = id;
        }
    }

    @Test
    void idsJumpForwardWithTheClock() {
        AtomicLong now = new AtomicLong(JAN_2026);
        ClockMessageIds ids = new ClockMessageIds(now::get);
        long first = next(ids, 1);
        now.addAndGet(1_000);
        assertEquals(first + (1_000L << ClockMessageIds.SEQUENCE_BITS), next(ids, 1));
    }

    @Test
    void conversationsAreSequencedIndependently() {
        ClockMessageIds ids = new ClockMessageIds(() -> JAN_2026);
        long floor = ClockMessageIds.floor(JAN_2026);
        for (int i = 0; i < 100; i++) {
            next(ids, 1);
        }
        assertEquals(floor, next(ids, 2), "another conversation's traffic does not move this one");
        assertEquals(floor + 100, next(ids, 1));
        assertEquals(floor + 1, next(ids, 2));
    }

    @Test
    void idsAreValidWireIdsUntilTheDocumentedYear() {
        long lateInYear2093 = Instant.parse("2093-12-31T23:59:59Z").toEpochMilli();
        ClockMessageIds ids = new ClockMessageIds(() -> lateInYear2093);
        for (int i = 0; i < 10_000; i++) {
            long id = next(ids, 1);
            assertTrue(Ids.isValid(id), () -> id + " is not below 2^53");
        }
    }

    @Test
    void idsAreValidWireIdsToday() {
        long id = next(new ClockMessageIds(), 1);
        assertTrue(Ids.isValid(id));
        assertTrue(id > (JAN_2026 - ClockMessageIds.EPOCH_MILLIS) << ClockMessageIds.SEQUENCE_BITS);
    }

    @Test
    void idsKeepIncreasingAcrossARestart() {
        ClockMessageIds before = new ClockMessageIds(() -> JAN_2026);
        long last = 0;
        for (int i = 0; i < 2_000; i++) { // a busy millisecond, just under the 2048 the scheme leaves
            last = next(before, 1);
        }
        long restartedAt = JAN_2026 + 1; // a restart is never faster than this
        ClockMessageIds after = new ClockMessageIds(() -> restartedAt);
        assertTrue(next(after, 1) > last, "a new instance with a later clock continues above the old ids");
    }

    @Test
    void clockBeforeTheEpochStillGivesSixteenDigitIncreasingIds() {
        ClockMessageIds ids = new ClockMessageIds(() -> 0L); // 1970
        assertEquals(Ids.MIN_MESSAGE_ID, next(ids, 1));
        assertEquals(Ids.MIN_MESSAGE_ID + 1, next(ids, 1));
    }

    @Test
    void exhaustedIdSpaceFailsTheStageInsteadOfHandingOutAnUnsafeId() {
        long farFuture = ClockMessageIds.EPOCH_MILLIS + (1L << (53 - ClockMessageIds.SEQUENCE_BITS)); // ~ year 2164
        ClockMessageIds ids = new ClockMessageIds(() -> farFuture);
        CompletableFuture<Long> f = ids.next(1).toCompletableFuture();
        CompletionException e = assertThrows(CompletionException.class, f::join);
        assertInstanceOf(IllegalStateException.class, e.getCause());
    }

    @Test
    void concurrentCallersNeverGetTheSameId() throws Exception {
        ClockMessageIds ids = new ClockMessageIds(() -> JAN_2026);
        int threads = 8;
        int perThread = 5_000;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<List<Long>>> done = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    List<Long> mine = new ArrayList<>(perThread);
                    long previous = 0;
                    for (int i = 0; i < perThread; i++) {
                        long id = next(ids, 1);
                        if (id <= previous) {
                            throw new AssertionError("not increasing within one thread: " + previous + " then " + id);
                        }
                        previous = id;
                        mine.add(id);
                    }
                    return mine;
                }));
            }
            start.countDown();
            Set<Long> all = new HashSet<>();
            for (Future<List<Long>> f : done) {
                all.addAll(f.get(60, TimeUnit.SECONDS));
            }
            assertEquals(threads * perThread, all.size(), "every id distinct");
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
    }
}
