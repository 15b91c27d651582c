package dev.inbox.gateway.typing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TypingCoalescerTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void oneTypingPerSenderAndConversationGoesOnPerInterval() {
        TypingCoalescer c = new TypingCoalescer(2 * SECOND);
        assertTrue(c.tryForward(1, 10, 0));
        assertFalse(c.tryForward(1, 10, 1));
        assertFalse(c.tryForward(1, 10, 2 * SECOND - 1));
        assertTrue(c.tryForward(1, 10, 2 * SECOND), "the interval is over");
        assertFalse(c.tryForward(1, 10, 2 * SECOND + 5));
    }

    @Test
    void otherSendersAndConversationsAreCoalescedApart() {
        TypingCoalescer c = new TypingCoalescer(2 * SECOND);
        assertTrue(c.tryForward(1, 10, 0));
        assertTrue(c.tryForward(2, 10, 0), "another sender");
        assertTrue(c.tryForward(1, 11, 0), "another conversation");
        assertFalse(c.tryForward(2, 10, 1));
        assertFalse(c.tryForward(1, 11, 1));
    }

    @Test
    void manyTypistsNeverCoalesceAwayADifferentPair() {
        // More pairs than slots: a pair is dropped only after its own forward, never because of another's.
        TypingCoalescer c = new TypingCoalescer(2 * SECOND);
        for (long sender = 1; sender <= 3 * TypingCoalescer.SLOTS; sender++) {
            assertTrue(c.tryForward(sender, 7, 0), "first TYPING of sender " + sender);
        }
    }

    @Test
    void theSenderIsLeftOutOfItsOwnTypingsRecipients() {
        long[] members = {1, 4, 9};
        assertArrayEquals(new long[] {4, 9}, TypingRequests.othersThan(members, 1));
        assertArrayEquals(new long[] {1, 4}, TypingRequests.othersThan(members, 9));
        assertSame(members, TypingRequests.othersThan(members, 5), "not a member: nothing to leave out");
    }
}
