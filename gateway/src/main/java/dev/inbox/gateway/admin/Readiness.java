package dev.inbox.gateway.admin;

/**
 * Whether this node should get new connections, and if not, why. {@code /readyz} reports it; the server sets it.
 * Thread-safe.
 */
public final class Readiness {
    /** Why the node is not ready, or {@code null} when it is. */
    private volatile String notReadyReason = "starting";

    public void ready() {
        notReadyReason = null;
    }

    public void notReady(String reason) {
        notReadyReason = reason;
    }

    /** {@code null} when ready, else a short reason. */
    public String notReadyReason() {
        return notReadyReason;
    }
}
