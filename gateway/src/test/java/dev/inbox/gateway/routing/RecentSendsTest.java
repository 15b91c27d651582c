package dev.inbox.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RecentSendsTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final AtomicInteger evicted = new AtomicInteger();

    private RecentSends store(int maxEntries) {
        return new RecentSends(Duration.ofNanos(100), maxEntries, evicted::incrementAndGet, now::get);
    }

    @Test
    void aResendWithinTheWindowFindsTheOriginal() {
        RecentSends recent = store(10);
        recent.remember(1, 7, "a", 500, 42);
        Admitted original = recent.find(1, 7, "a");
        assertTrue(original.isResend());
        assertEquals(500, original.messageId());
        assertEquals(42, original.originalCreatedAtMillis());
        assertEquals(0, original.members().length, "delivered to no one again");
    }

    @Test
    void theKeyIsSenderConversationAndClientMsgId() {
        RecentSends recent = store(10);
        recent.remember(1, 7, "a", 500, 42);
        assertNull(recent.find(2, 7, "a"));
        assertNull(recent.find(1, 8, "a"));
        assertNull(recent.find(1, 7, "b"));
    }

    @Test
    void anEntryIsForgottenWhenItsWindowEnds() {
        RecentSends recent = store(10);
        recent.remember(1, 7, "a", 500, 42);
        now.addAndGet(99);
        recent.remember(1, 7, "b", 501, 43);
        assertEquals(500, recent.find(1, 7, "a").messageId());
        now.addAndGet(1);
        assertNull(recent.find(1, 7, "a"));
        assertEquals(501, recent.find(1, 7, "b").messageId());
        assertEquals(1, recent.size());
        assertEquals(0, evicted.get(), "expiry is not eviction");
    }

    @Test
    void whenFullTheOldestIsForgottenAndCounted() {
        RecentSends recent = store(3);
        for (int i = 0; i < 10; i++) {
            recent.remember(1, 7, "m" + i, 500 + i, 42);
            assertTrue(recent.size() <= 3);
        }
        assertEquals(3, recent.size());
        assertEquals(7, evicted.get());
        assertNull(recent.find(1, 7, "m6"));
        assertEquals(507, recent.find(1, 7, "m7").messageId());
        assertEquals(509, recent.find(1, 7, "m9").messageId());
    }

    @Test
    void rememberingAKeyAgainMovesItToTheNewestAndRestartsItsWindow() {
        RecentSends recent = store(2);
        recent.remember(1, 7, "a", 500, 42);
        recent.remember(1, 7, "b", 501, 42);
        now.addAndGet(50);
        recent.remember(1, 7, "a", 502, 43);
        recent.remember(1, 7, "c", 503, 44);
        assertNull(recent.find(1, 7, "b"), "b was the oldest");
        now.addAndGet(60);
        assertEquals(502, recent.find(1, 7, "a").messageId(), "a's window restarted when remembered again");
    }
}
