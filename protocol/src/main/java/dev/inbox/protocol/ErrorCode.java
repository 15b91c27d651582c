package dev.inbox.protocol;

/**
 * The closed set of errors the gateway reports in an {@code {"type":"ERROR"}} frame. The wire string is stable:
 * clients may switch on it. None of these closes the connection; protocol violations at the WebSocket level
 * close with a {@link CloseCode} instead.
 */
public enum ErrorCode {
    /** The frame is not well-formed JSON (syntax error, truncated, nested too deep, invalid encoding). */
    BAD_JSON("bad_json"),
    /** Well-formed JSON, but not one object: an array or scalar at the top, trailing data, a known field twice, an over-long client_msg_id. */
    BAD_FRAME("bad_frame"),
    /** A required field ({@code type}, {@code conversation_id}, {@code message}) is absent or null. */
    MISSING_FIELD("missing_field"),
    /** A field has the wrong JSON type or range (for example {@code conversation_id} that is not a positive integer below 2^53). */
    WRONG_TYPE("wrong_type"),
    /** {@code message} has more characters (Unicode code points) than the configured maximum. */
    MESSAGE_TOO_LONG("message_too_long"),
    /** {@code type} is not one the gateway knows ({@code TEXT}, {@code HISTORY}, {@code TYPING}, {@code READ}, {@code READS}, {@code UNREAD}). */
    UNKNOWN_TYPE("unknown_type"),
    /** The sender is not a member of the conversation; nothing was delivered. */
    NOT_A_MEMBER("not_a_member"),
    /** A binary frame arrived; the inbox protocol is JSON text only. */
    BINARY_NOT_SUPPORTED("binary_not_supported"),
    /** The connection sends faster than its rate limit; this message was not delivered. Slow down and resend. */
    RATE_LIMITED("rate_limited"),
    /** Redis, which carries messages between nodes, is unreachable; nothing was delivered, retry later. */
    RELAY_UNAVAILABLE("relay_unavailable"),
    /**
     * The message reached Redis but its answer was lost with the connection: it may have been admitted and delivered,
     * or not. Resend it with the same {@code client_msg_id}, or check the conversation's history.
     */
    OUTCOME_UNKNOWN("outcome_unknown"),
    /**
     * The node is past what Redis answers in time (too many messages waiting on it, or its answers slower than the
     * node's bound) and shed this message at once; nothing was delivered. Retry after a short, jittered delay.
     */
    OVERLOADED("overloaded"),
    /** The backend has fallen behind reading messages and the outbox is full; nothing was delivered, retry later. */
    OUTBOX_FULL("outbox_full"),
    /** The backend's publish hook refused the message; {@code message} carries its reason. Nothing was delivered. */
    REJECTED("rejected"),
    /** The backend's publish hook could not be asked or gave no usable answer; nothing was delivered, retrying is safe. */
    BACKEND_UNAVAILABLE("backend_unavailable"),
    /** The gateway failed to accept the message (for example its id could not be assigned); nothing was delivered, retrying is safe. */
    SERVER_ERROR("server_error"),
    /** A {@code HISTORY} request while this connection's previous one is still unanswered; send it again after. */
    HISTORY_BUSY("history_busy"),
    /** The first frame of a connection opened with {@code ?resume=1} is not a well-formed {@code RESUME} request (shape, a conversation listed twice, more than the maximum listed); the connection is closed after it. */
    BAD_RESUME("bad_resume"),
    /** Too many connections are resuming on this node now; the connection is closed after it. Reconnect after a random delay. */
    RESUME_BUSY("resume_busy"),
    /** A {@code PRESENCE_SUBSCRIBE} names a user who shares no conversation with the subscriber; the whole frame is refused. */
    PRESENCE_FORBIDDEN("presence_forbidden"),
    /** A {@code PRESENCE_SUBSCRIBE} would take the connection past its most subscriptions; the whole frame is refused. */
    PRESENCE_LIMIT("presence_limit"),
    /** A {@code READ} names a {@code message_id} beyond the conversation's last one; the read position did not move. */
    BAD_READ_POSITION("bad_read_position");

    private final String wireName;

    ErrorCode(String wireName) {
        this.wireName = wireName;
    }

    /** The stable string sent as {@code code}. */
    public String wireName() {
        return wireName;
    }
}
