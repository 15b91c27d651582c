package dev.inbox.gateway.receipts;

import dev.inbox.gateway.routing.Members;
import dev.inbox.gateway.routing.Membership;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongUnaryOperator;

/**
 * The single node's read positions, in memory (lost when the node stops, as its membership is). Per conversation a
 * map of user to position, moved with {@code merge(max)}, so two READs racing on two loops leave the larger; the last
 * {@code message_id} is the sequencer's. Bounded like the membership it sits beside: at most one entry per member
 * who has read. Thread-safe.
 */
public final class LocalReadPositions implements ReadPositions {
    private final Membership membership;
    private final LongUnaryOperator lastMessageId;
    private final Map<Long, Map<Long, Long>> byConversation = new ConcurrentHashMap<>();
    private final Map<Long, Map<Long, Boolean>> byUser = new ConcurrentHashMap<>();

    /** @param lastMessageId the last {@code message_id} given in a conversation, 0 when none */
    public LocalReadPositions(Membership membership, LongUnaryOperator lastMessageId) {
        this.membership = membership;
        this.lastMessageId = lastMessageId;
    }

    @Override
    public CompletionStage<Move> advance(long conversationId, long userId, long messageId, long readAtMillis) {
        return membership.members(conversationId).thenApply(m -> {
            if (m == null || !m.contains(userId)) {
                return new Move(Outcome.NOT_A_MEMBER, new long[0]);
            }
            if (messageId > lastMessageId.applyAsLong(conversationId)) {
                return new Move(Outcome.BEYOND, new long[0]);
            }
            Map<Long, Long> positions = byConversation.computeIfAbsent(conversationId, k -> new ConcurrentHashMap<>());
            long[] before = {0};
            positions.merge(userId, messageId, (old, now) -> {
                before[0] = old;
                return Math.max(old, now);
            });
            if (before[0] >= messageId) {
                return new Move(Outcome.BEHIND, new long[0]);
            }
            byUser.computeIfAbsent(userId, k -> new ConcurrentHashMap<>()).put(conversationId, Boolean.TRUE);
            return new Move(Outcome.MOVED, m.userIds());
        });
    }

    @Override
    public CompletionStage<Positions> positions(long conversationId, long askingUserId) {
        return membership.members(conversationId).thenApply(m -> {
            if (askingUserId != 0 && (m == null || !m.contains(askingUserId))) {
                return null;
            }
            return m == null ? new Positions(new long[0], new long[0]) : of(m, byConversation.get(conversationId));
        });
    }

    private static Positions of(Members members, Map<Long, Long> positions) {
        long[] users = new long[members.size()];
        long[] ids = new long[members.size()];
        int n = 0;
        for (long u : members.userIds()) {
            Long at = positions == null ? null : positions.get(u);
            if (at != null) {
                users[n] = u;
                ids[n++] = at;
            }
        }
        return new Positions(java.util.Arrays.copyOf(users, n), java.util.Arrays.copyOf(ids, n));
    }

    @Override
    public CompletionStage<long[]> conversationsOf(long userId, int max) {
        Map<Long, Boolean> conversations = byUser.get(userId);
        if (conversations == null) {
            return CompletableFuture.completedFuture(new long[0]);
        }
        return CompletableFuture.completedFuture(conversations.keySet().stream()
                .limit(max)
                .mapToLong(Long::longValue)
                .toArray());
    }
}
