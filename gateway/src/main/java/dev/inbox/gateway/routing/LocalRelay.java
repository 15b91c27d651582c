package dev.inbox.gateway.routing;

import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.metrics.GatewayMetrics;

/**
 * The single node's {@link Relay}: membership in memory, ids from the clock, and no other node to hear from. What
 * it holds is lost when the node stops.
 */
public final class LocalRelay implements Relay {
    private final InMemoryMembership membership = new InMemoryMembership();
    private final LocalAdmission admission;

    /**
     * @param dev     whether a sender who is not a member joins an unmanaged conversation (dev mode)
     * @param dedup   how long, and how many, {@code client_msg_id}s are remembered
     * @param metrics counts ids forgotten early
     */
    public LocalRelay(boolean dev, GatewayConfig.Dedup dedup, GatewayMetrics metrics) {
        RecentSends recent =
                dedup.enabled() ? new RecentSends(dedup.window(), dedup.maxEntries(), metrics::dedupEvicted) : null;
        this.admission = new LocalAdmission(membership, new ClockMessageIds(), dev, recent);
    }

    @Override
    public Admission admission() {
        return admission;
    }

    @Override
    public Membership membership() {
        return membership;
    }

    @Override
    public void start(ConversationRouter router) {
        // Nothing arrives from elsewhere.
    }

    @Override
    public void close() {
        // Nothing to let go of.
    }
}
