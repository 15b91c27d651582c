package dev.inbox.gateway.health;

import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Whether this node should get new connections, and if not, why. {@code /readyz} reports it. Several parts hold a
 * condition each (the server while it starts or stops, the relay while Redis is unreachable); the node is ready
 * when none of them objects. Thread-safe.
 */
public final class Readiness {
    /** Condition name to the reason it gives; empty when ready. */
    private final Map<String, String> blockers = new ConcurrentSkipListMap<>();

    public Readiness() {
        blockers.put("server", "starting");
    }

    /** Sets or clears one condition: {@code reason} null means that part is fine. */
    public void set(String condition, String reason) {
        if (reason == null) {
            blockers.remove(condition);
        } else {
            blockers.put(condition, reason);
        }
    }

    public void ready() {
        set("server", null);
    }

    public void notReady(String reason) {
        set("server", reason);
    }

    /** {@code null} when ready, else the reasons, joined. */
    public String notReadyReason() {
        return blockers.isEmpty() ? null : String.join("; ", blockers.values());
    }
}
