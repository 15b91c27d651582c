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
    RATE_LIMITED;

    String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
