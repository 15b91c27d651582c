package dev.inbox.gateway.metrics;

/** The limits that can fire: the {@code limit} label of {@code inbox_limit_hits_total}. */
public enum Limit {
    RATE,
    FLOOD_CLOSE,
    USER_CONNECTIONS,
    ADDRESS_CONNECTIONS,
    ADDRESS_HANDSHAKES,
    ADDRESS_PENDING,
    NODE_CONNECTIONS,
    ADMIN_BODY,
    MEMBERS,
    ADMIN_CONNECTIONS,
    ADMIN_READ_TIMEOUT,
    /** The node has {@code --redis-queue} admissions waiting on Redis: a new message is shed. */
    RELAY_WAITING,
    /** A standing queue or a silence on Redis longer than {@code --redis-max-latency}: a new message is shed. */
    RELAY_LATENCY;

    String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
