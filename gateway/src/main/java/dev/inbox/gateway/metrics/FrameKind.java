package dev.inbox.gateway.metrics;

/** Kinds of WebSocket frame received: the {@code type} label of {@code inbox_frames_received_total}. */
public enum FrameKind {
    TEXT,
    BINARY,
    PING,
    PONG,
    CLOSE;

    String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
