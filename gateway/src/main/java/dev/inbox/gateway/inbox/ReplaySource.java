package dev.inbox.gateway.inbox;

import java.util.List;
import java.util.concurrent.CompletionStage;

/** Where a resume finds the events it replays: a conversation's history, read after a {@code message_id}. */
@FunctionalInterface
public interface ReplaySource {
    /** Up to {@code limit} events of the conversation with {@code message_id > afterMessageId}, oldest first. */
    CompletionStage<Page> after(long conversationId, long afterMessageId, int limit);

    /**
     * @param events  oldest first: each its id and its JSON text as members received it
     * @param trimmed some event after the requested id is gone from the history
     */
    record Page(List<Event> events, boolean trimmed) {}

    record Event(long messageId, byte[] json) {}
}
