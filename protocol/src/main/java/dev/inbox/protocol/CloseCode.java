package dev.inbox.protocol;

/**
 * Every close code the gateway sends, split the way Centrifugo splits its codes: a client acts on the number
 * alone. {@link #reconnect()} true means "reconnect with backoff and resume" (docs/protocol.md, "Resume": the
 * gateway replays what was missed); false means "do not reconnect until the cause is fixed" (new credentials, a
 * client fix).
 *
 * <p>RFC 6455 §7.4.1 codes are used where one fits; application codes sit in 4000–4499 (reconnect) and
 * 4500–4999 (do not reconnect as is).
 */
public enum CloseCode {
    /** The client closed and we answered, or an orderly close. */
    NORMAL(1000, "normal closure", true),
    /** The node is shutting down or draining; reconnect (the load balancer will pick another node) and resume. */
    GOING_AWAY(1001, "going away", true),
    /** A WebSocket protocol violation (RFC 6455 §7.4.1). */
    PROTOCOL_ERROR(1002, "protocol error", false),
    /** The client kept flooding past its rate limit. */
    POLICY_VIOLATION(1008, "policy violation: rate limit", false),
    /** A text message that is not valid UTF-8 (RFC 6455 §8.1). */
    INVALID_PAYLOAD(1007, "invalid UTF-8", false),
    /** A frame or reassembled message over the configured maximum. */
    MESSAGE_TOO_BIG(1009, "message too big", false),
    /** The client read too slowly: its queue stayed over the bound past the grace. Reconnect with backoff and resume. */
    SLOW_CONSUMER(1013, "slow consumer", true),
    /** An unexpected server error; reconnect with backoff. */
    SERVER_ERROR(1011, "server error", true),
    /** No frame and no pong from the client within the idle timeout. */
    IDLE_TIMEOUT(4000, "idle timeout", true),
    /**
     * This node's relay subscription was interrupted (Redis restarted, or its connection was lost or replaced), so
     * messages from other nodes may have been missed: reconnect and resume.
     */
    RELAY_INTERRUPTED(4002, "relay interrupted", true),
    /** The token the connection was opened with has expired: fetch a new token, then reconnect. */
    TOKEN_EXPIRED(4501, "token expired", false);

    private final int code;
    private final String reason;
    private final boolean reconnect;

    CloseCode(int code, String reason, boolean reconnect) {
        this.code = code;
        this.reason = reason;
        this.reconnect = reconnect;
    }

    /** The numeric close code sent in the close frame. */
    public int code() {
        return code;
    }

    /** The short reason text sent in the close frame. */
    public String reason() {
        return reason;
    }

    /** Whether a client should reconnect (with backoff) without changing anything. */
    public boolean reconnect() {
        return reconnect;
    }
}
