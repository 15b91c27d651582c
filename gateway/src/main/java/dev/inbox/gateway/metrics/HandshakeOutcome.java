package dev.inbox.gateway.metrics;

/** How an upgrade request ended: the {@code outcome} label of {@code inbox_handshakes_total}. */
public enum HandshakeOutcome {
    OK,
    UNAUTHORIZED,
    FORBIDDEN_ORIGIN,
    BAD_REQUEST,
    NOT_FOUND,
    METHOD_NOT_ALLOWED,
    UPGRADE_REQUIRED,
    TIMEOUT,
    /** Refused because the node is draining or full (503). */
    UNAVAILABLE,
    /** Refused by a per-user or per-address limit (429). */
    RATE_LIMITED,
    /** The connect hook refused the user (403). Its 401 counts as {@link #UNAUTHORIZED}. */
    FORBIDDEN,
    /**
     * The connect hook could not say who is connecting (503): it failed, timed out, was unreachable or over
     * {@code --hook-max-in-flight}, or answered something unusable. {@code inbox_hook_calls_total} says which.
     */
    BACKEND_UNAVAILABLE;

    String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
