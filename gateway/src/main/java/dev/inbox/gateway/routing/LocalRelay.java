package dev.inbox.gateway.routing;

import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.history.ConversationHistory;
import dev.inbox.gateway.history.LocalHistory;
import dev.inbox.gateway.history.NoHistory;
import dev.inbox.gateway.metrics.GatewayMetrics;

/**
 * The single node's {@link Relay}: membership in memory, ids from the clock, history in memory, and no other node to
 * hear from. What it holds is lost when the node stops.
 */
public final class LocalRelay implements Relay {
    private final InMemoryMembership membership = new InMemoryMembership();
    private final LocalAdmission admission;
    private final ConversationHistory history;
    /** The in-memory store, or {@code null} when history is off. */
    private final LocalHistory localHistory;

    private final LocalUserFeed feed;
    private final ClockMessageIds ids;

    /**
     * @param dev           whether a sender who is not a member joins an unmanaged conversation (dev mode)
     * @param history       the bounds of the in-memory history
     * @param dedup         how long, and how many, {@code client_msg_id}s are remembered
     * @param metrics       counts ids forgotten early
     * @param feedMaxLength most entries one user's feed holds
     * @param feedMaxUsers  most users with a feed in memory; past it one is dropped (its user resumes epoch_changed)
     */
    public LocalRelay(
            boolean dev,
            GatewayConfig.History history,
            GatewayConfig.Dedup dedup,
            GatewayMetrics metrics,
            int feedMaxLength,
            int feedMaxUsers) {
        ClockMessageIds ids = new ClockMessageIds();
        this.ids = ids;
        this.localHistory =
                history.enabled() ? new LocalHistory(history.maxEvents(), history.localMaxBytes(), ids::last) : null;
        this.history = localHistory != null ? localHistory : NoHistory.INSTANCE;
        RecentSends recent =
                dedup.enabled() ? new RecentSends(dedup.window(), dedup.maxEntries(), metrics::dedupEvicted) : null;
        this.feed = new LocalUserFeed(feedMaxLength, feedMaxUsers);
        this.admission = new LocalAdmission(membership, ids, dev, localHistory, history.maxAge(), recent, feed);
    }

    @Override
    public UserFeed feed() {
        return feed.enabled() ? feed : null;
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
    public ConversationHistory history() {
        return history;
    }

    /** The last {@code message_id} given in {@code conversationId}, 0 when none: how far a read position may go. */
    public long lastMessageId(long conversationId) {
        return ids.last(conversationId);
    }

    /** The in-memory store, for its gauges; {@code null} when history is off. */
    public LocalHistory localHistory() {
        return localHistory;
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
