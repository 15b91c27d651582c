package dev.inbox.gateway.soak;

import java.util.Arrays;

/**
 * When Redis was away, on the test JVM's {@link System#nanoTime()} clock, as the ledger needs it to judge refusals
 * and misses.
 *
 * @param killedAt       just before the test sent SIGKILL to redis-server
 * @param deadAt         once the process was gone
 * @param restartedAt    when the new redis-server was launched (it accepts connections, and subscriptions, while
 *                       it still loads its data and answers commands LOADING)
 * @param resubscribedAt per node: the first time, after the restart, that Redis listed every steady connection's
 *                       user channel of that node as subscribed; {@link Long#MAX_VALUE} if never seen
 */
record Outage(long killedAt, long deadAt, long restartedAt, long[] resubscribedAt) {
    /** A run without an outage: every refusal is a failure, every miss a loss. */
    static final Outage NONE = new Outage(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, new long[0]);

    /**
     * How much earlier than the last pre-crash message a node received (by acknowledgement time) a missing one may
     * have been acknowledged and still be past the cut: acknowledgements of messages Redis ran in one order can
     * reach their senders this far out of it.
     */
    static final long CUT_JITTER_NANOS = 100_000_000L;

    /** When a node received nothing from the other nodes before the crash: a cut this long before the kill. */
    static final long DEFAULT_CUT_NANOS = 250_000_000L;

    /** The nodes' {@code --redis-gap-window}: their 4002 closes after the restart are spread over it. */
    static final long GAP_WINDOW_NANOS = 2_000_000_000L;

    /**
     * How long after its node resubscribed a connection open across the outage must have been closed with 4002: the
     * window, and as much again for a loaded machine.
     */
    static final long TOLD_BOUND_NANOS = 2 * GAP_WINDOW_NANOS;

    boolean happened() {
        return killedAt != Long.MAX_VALUE;
    }

    /** When {@code node} had resubscribed its users after the restart. */
    long resubscribedAt(int node) {
        return node < resubscribedAt.length ? resubscribedAt[node] : Long.MAX_VALUE;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Outage other
                && killedAt == other.killedAt
                && deadAt == other.deadAt
                && restartedAt == other.restartedAt
                && Arrays.equals(resubscribedAt, other.resubscribedAt);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(killedAt) * 31 + Arrays.hashCode(resubscribedAt);
    }

    @Override
    public String toString() {
        return "Outage[killedAt=" + killedAt + ", deadAt=" + deadAt + ", restartedAt=" + restartedAt
                + ", resubscribedAt=" + Arrays.toString(resubscribedAt) + "]";
    }
}
