package dev.inbox.gateway.routing;

import java.util.concurrent.CompletionStage;

/**
 * Assigns {@code message_id}s: positive, unique and strictly increasing within a conversation, below 2^53.
 * May complete later (a shared store answers over the network).
 */
public interface MessageIdSequencer {
    CompletionStage<Long> next(long conversationId);
}
