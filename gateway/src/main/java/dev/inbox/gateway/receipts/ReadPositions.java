package dev.inbox.gateway.receipts;

import java.util.concurrent.CompletionStage;

/**
 * Where each member's read position in each conversation is kept: in Redis with a relay
 * ({@code relay.RedisReadPositions}, a hash per conversation beside its other keys), in memory on a single node
 * ({@link LocalReadPositions}). A position only moves forward, atomically, and never beyond the conversation's last
 * {@code message_id}. Never blocks; stages complete on any thread.
 */
public interface ReadPositions {
    /** What a {@code READ} did. */
    enum Outcome {
        /** The position moved forward. */
        MOVED,
        /** The position was already there or further: nothing changed, nobody is told. */
        BEHIND,
        /** Beyond the conversation's last {@code message_id}: refused ({@code bad_read_position}). */
        BEYOND,
        /** The reader is not a member (or the conversation is unknown). */
        NOT_A_MEMBER
    }

    /**
     * The outcome of {@link #advance}.
     *
     * @param outcome what happened
     * @param members the conversation's members when the position moved (the READ event's recipients), else empty
     */
    record Move(Outcome outcome, long[] members) {}

    /**
     * The read positions of a conversation's current members, those who have one.
     *
     * @param userIds    ascending
     * @param messageIds their positions, index for index
     */
    record Positions(long[] userIds, long[] messageIds) {
        /** The position of {@code userId}, 0 when it has none. */
        public long of(long userId) {
            int at = java.util.Arrays.binarySearch(userIds, userId);
            return at < 0 ? 0 : messageIds[at];
        }
    }

    /**
     * Moves {@code userId}'s position in the conversation to {@code messageId} if that is forward, and (with Redis and
     * the outbox on) appends a {@code READ} entry to the outbox in the same step.
     *
     * @param readAtMillis when the gateway accepted the READ, for the outbox entry
     */
    CompletionStage<Move> advance(long conversationId, long userId, long messageId, long readAtMillis);

    /**
     * The positions of the conversation's members; {@code null} when {@code askingUserId} is not a member or the
     * conversation is unknown. {@code askingUserId} 0: the admin API, no check (an unknown conversation has none).
     */
    CompletionStage<Positions> positions(long conversationId, long askingUserId);

    /** Up to {@code max} conversations in which {@code userId} has a read position, in no particular order. */
    CompletionStage<long[]> conversationsOf(long userId, int max);
}
