package dev.inbox.gateway.receipts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.inbox.gateway.history.LocalHistory;
import dev.inbox.gateway.routing.InMemoryMembership;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The single node's read positions and the unread count, on their own (the sockets are ReadReceiptsIT's). */
class ReadPositionsTest {
    private static final long M1 = 1_000_000_000_000_001L;
    private final InMemoryMembership membership = new InMemoryMembership();
    private final AtomicLong last = new AtomicLong();
    private final LocalReadPositions positions = new LocalReadPositions(membership, c -> last.get());

    private ReadPositions.Move advance(long user, long messageId) {
        return positions.advance(1, user, messageId, 0).toCompletableFuture().join();
    }

    @Test
    void aPositionMovesForwardOnlyAndNeverPastTheLastMessage() {
        membership.replace(1, new long[] {1, 2});
        last.set(M1 + 5);
        assertEquals(ReadPositions.Outcome.MOVED, advance(2, M1 + 3).outcome());
        assertArrayEquals(new long[] {1, 2}, advance(2, M1 + 4).members(), "a move names the members to tell");
        assertEquals(ReadPositions.Outcome.BEHIND, advance(2, M1 + 4).outcome());
        assertEquals(ReadPositions.Outcome.BEHIND, advance(2, M1).outcome());
        assertEquals(ReadPositions.Outcome.BEYOND, advance(2, M1 + 6).outcome());
        assertEquals(ReadPositions.Outcome.NOT_A_MEMBER, advance(3, M1).outcome());
        ReadPositions.Positions p =
                positions.positions(1, 1).toCompletableFuture().join();
        assertArrayEquals(new long[] {2}, p.userIds());
        assertEquals(M1 + 4, p.of(2));
        assertEquals(0, p.of(1));
        assertNull(positions.positions(1, 3).toCompletableFuture().join(), "a stranger may not ask");
        assertArrayEquals(
                new long[] {1},
                positions.conversationsOf(2, 10).toCompletableFuture().join());
        assertArrayEquals(
                new long[0],
                positions.conversationsOf(1, 10).toCompletableFuture().join());
    }

    @Test
    void theUnreadCountLeavesOutTheReadersOwnMessagesAndIsCappedPastItsMaximum() {
        LocalHistory history = new LocalHistory(100, 1 << 20, c -> last.get());
        long previous = 0;
        for (int i = 0; i < 6; i++) {
            long id = M1 + i;
            long sender = i % 3 == 0 ? 2 : 1; // messages 0 and 3 are the reader's own
            history.append(1, previous, id, 0, event(id, sender));
            previous = id;
            last.set(id);
        }
        UnreadCounter three = new UnreadCounter(history, 3);
        assertEquals(
                new UnreadCounter.Count(3, true),
                three.count(1, 2, 0).toCompletableFuture().join());
        UnreadCounter ten = new UnreadCounter(history, 10);
        assertEquals(
                new UnreadCounter.Count(4, false),
                ten.count(1, 2, 0).toCompletableFuture().join());
        assertEquals(
                new UnreadCounter.Count(2, false),
                ten.count(1, 2, M1 + 3).toCompletableFuture().join());
        assertEquals(
                new UnreadCounter.Count(0, false),
                ten.count(1, 2, M1 + 5).toCompletableFuture().join());
    }

    @Test
    void theSenderIsReadFromTheEventsOwnFieldNotFromItsText() {
        byte[] tricky = ("{\"type\":\"TEXT\",\"message\":\"x\\\",\\\"sender_id\\\":7\",\"conversation_id\":1,"
                        + "\"sender_id\":42,\"created_at\":\"2025-01-01T00:00:00.000Z\",\"message_id\":"
                        + M1 + "}")
                .getBytes(StandardCharsets.UTF_8);
        assertEquals(42, UnreadCounter.senderOf(tricky));
        assertEquals(-1, UnreadCounter.senderOf("{}".getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] event(long id, long sender) {
        return ("{\"type\":\"TEXT\",\"message\":\"m\",\"conversation_id\":1,\"sender_id\":" + sender
                        + ",\"created_at\":\"2025-01-01T00:00:00.000Z\",\"message_id\":" + id + "}")
                .getBytes(StandardCharsets.UTF_8);
    }
}
