package dev.inbox.protocol;

/**
 * One client-to-server frame, the seeds' shape: {@code {"type":"TEXT","conversation_id":123,"message":"Hello"}},
 * plus an optional {@code client_msg_id} that comes back on the sender's own acknowledgement; or a request for a page
 * of the conversation's history: {@code {"type":"HISTORY","conversation_id":123,"before":<message_id>,"limit":50}}.
 *
 * @param type           {@code TEXT} or {@code HISTORY}
 * @param conversationId the conversation, a positive integer below 2^53
 * @param message        the text, within the configured maximum of code points; {@code null} for {@code HISTORY}
 * @param clientMsgId    the client's own id for the message, at most 64 characters, or {@code null}
 * @param before         {@code HISTORY}: events with a lower {@code message_id}; {@link #NEWEST} when absent
 * @param limit          {@code HISTORY}: the most events wanted; {@link #NO_LIMIT} when absent (the gateway caps it)
 */
public record ClientMessage(
        String type, long conversationId, String message, String clientMsgId, long before, long limit) {
    /** {@code before} absent: the newest events. */
    public static final long NEWEST = Long.MAX_VALUE;
    /** {@code limit} absent: as many as a page holds. */
    public static final long NO_LIMIT = Long.MAX_VALUE;

    /** A {@code TEXT} frame (or any frame without history fields). */
    public ClientMessage(String type, long conversationId, String message, String clientMsgId) {
        this(type, conversationId, message, clientMsgId, NEWEST, NO_LIMIT);
    }

    /** Whether this is a request for history rather than a message to deliver. */
    public boolean isHistoryRequest() {
        return ClientMessageDecoder.TYPE_HISTORY.equals(type);
    }
}
