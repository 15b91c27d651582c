package dev.inbox.protocol;

/**
 * One client-to-server frame, the seeds' shape: {@code {"type":"TEXT","conversation_id":123,"message":"Hello"}},
 * plus an optional {@code client_msg_id} that comes back on the sender's own acknowledgement; or a request for a page
 * of the conversation's history: {@code {"type":"HISTORY","conversation_id":123,"before":<message_id>,"limit":50}};
 * or a typing or read-receipt frame ({@code TYPING}, {@code READ} with its {@code message_id}, {@code READS},
 * {@code UNREAD} without a {@code conversation_id}).
 *
 * @param type           {@code TEXT}, {@code HISTORY}, {@code TYPING}, {@code READ}, {@code READS} or {@code UNREAD}
 * @param conversationId the conversation, a positive integer below 2^53; {@link #NO_CONVERSATION} for {@code UNREAD}
 * @param message        the text, within the configured maximum of code points; {@code null} for {@code HISTORY}
 * @param clientMsgId    the client's own id for the message, at most 64 characters, or {@code null}
 * @param before         {@code HISTORY}: events with a lower {@code message_id}; {@link #NEWEST} when absent
 * @param limit          {@code HISTORY}: the most events wanted; {@link #NO_LIMIT} when absent (the gateway caps it)
 * @param messageId      {@code READ}: the read position, a {@code message_id}; {@link #NO_MESSAGE_ID} for other types
 */
public record ClientMessage(
        String type, long conversationId, String message, String clientMsgId, long before, long limit, long messageId) {
    /** {@code before} absent: the newest events. */
    public static final long NEWEST = Long.MAX_VALUE;
    /** {@code limit} absent: as many as a page holds. */
    public static final long NO_LIMIT = Long.MAX_VALUE;
    /** No {@code message_id}: every type but {@code READ}. */
    public static final long NO_MESSAGE_ID = 0;
    /** {@code conversation_id} absent: an {@code UNREAD} request, the only type without one. */
    public static final long NO_CONVERSATION = ProtocolException.NO_CONVERSATION;

    /** A {@code HISTORY} request (or a {@code TEXT} frame, with both at their absent values). */
    public ClientMessage(
            String type, long conversationId, String message, String clientMsgId, long before, long limit) {
        this(type, conversationId, message, clientMsgId, before, limit, NO_MESSAGE_ID);
    }

    /** A {@code TYPING}, {@code READ}, {@code READS} or {@code UNREAD} frame: no text, no history fields. */
    public static ClientMessage event(String type, long conversationId, long messageId) {
        return new ClientMessage(type, conversationId, null, null, NEWEST, NO_LIMIT, messageId);
    }

    /** A {@code TEXT} frame (or any frame without history fields). */
    public ClientMessage(String type, long conversationId, String message, String clientMsgId) {
        this(type, conversationId, message, clientMsgId, NEWEST, NO_LIMIT);
    }

    /** Whether this is a request for history rather than a message to deliver. */
    public boolean isHistoryRequest() {
        return ClientMessageDecoder.TYPE_HISTORY.equals(type);
    }

    /**
     * Whether this is a typing or read-receipt frame ({@code TYPING}, {@code READ}, {@code READS}, {@code UNREAD}):
     * not a message, answered on its own rate limit (docs/protocol.md, "Typing and read receipts").
     */
    public boolean isReceiptOrTyping() {
        return switch (type) {
            case ClientMessageDecoder.TYPE_TYPING,
                    ClientMessageDecoder.TYPE_READ,
                    ClientMessageDecoder.TYPE_READS,
                    ClientMessageDecoder.TYPE_UNREAD -> true;
            default -> false;
        };
    }
}
