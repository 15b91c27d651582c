package dev.inbox.gateway.history;

import java.util.concurrent.CompletionStage;

/**
 * A conversation's bounded history of server events, ordered by {@code message_id}: a Redis Stream per conversation
 * on a clustered node ({@code relay.RedisConversationHistory}), a ring in memory on a single node
 * ({@link LocalHistory}). Never blocks; its stages complete on any thread.
 */
public interface ConversationHistory {
    /** Up to {@code limit} events with {@code message_id > afterMessageId}, oldest first. */
    CompletionStage<HistoryPage> after(long conversationId, long afterMessageId, int limit);

    /**
     * Up to {@code limit} events with {@code message_id < beforeMessageId} ({@link Long#MAX_VALUE}: the newest),
     * oldest first.
     */
    CompletionStage<HistoryPage> before(long conversationId, long beforeMessageId, int limit);
}
