package dev.inbox.protocol;

/**
 * A client frame the gateway refuses, with what it could read of it so the error can name the conversation
 * and the client's message id. Thrown on the hot path for every bad frame, so it carries no stack trace.
 */
public final class ProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    /** {@link #conversationId()} when the frame's conversation could not be read. */
    public static final long NO_CONVERSATION = 0;

    private final ErrorCode code;
    private final long conversationId;
    private final String clientMsgId;

    public ProtocolException(ErrorCode code, String message, long conversationId, String clientMsgId) {
        super(message, null, false, false);
        this.code = code;
        this.conversationId = conversationId;
        this.clientMsgId = clientMsgId;
    }

    public ProtocolException(ErrorCode code, String message) {
        this(code, message, NO_CONVERSATION, null);
    }

    public ErrorCode code() {
        return code;
    }

    /** The frame's conversation, or {@link #NO_CONVERSATION} when it was unreadable. */
    public long conversationId() {
        return conversationId;
    }

    /** The frame's {@code client_msg_id}, or {@code null} when absent or unreadable. */
    public String clientMsgId() {
        return clientMsgId;
    }
}
