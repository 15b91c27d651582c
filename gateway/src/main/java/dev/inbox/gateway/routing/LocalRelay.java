package dev.inbox.gateway.routing;

import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.history.ConversationHistory;
import dev.inbox.gateway.history.LocalHistory;
import dev.inbox.gateway.history.NoHistory;
import java.time.Duration;

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

    /** @param dev whether a sender who is not a member joins an unmanaged conversation (dev mode); no history */
    public LocalRelay(boolean dev) {
        this(dev, new GatewayConfig.History(false, 1, Duration.ofHours(1), 1, 1), 1000, 100_000);
    }

    /**
     * @param dev           whether a sender who is not a member joins an unmanaged conversation (dev mode)
     * @param history       the bounds of the in-memory history
     * @param feedMaxLength most entries one user's feed holds
     * @param feedMaxUsers  most users with a feed in memory; past it one is dropped (its user resumes epoch_changed)
     */
    public LocalRelay(boolean dev, GatewayConfig.History history, int feedMaxLength, int feedMaxUsers) {
        ClockMessageIds ids = new ClockMessageIds();
        this.localHistory =
                history.enabled() ? new LocalHistory(history.maxEvents(), history.localMaxBytes(), ids::last) : null;
        this.history = localHistory != null ? localHistory : NoHistory.INSTANCE;
        this.feed = new LocalUserFeed(feedMaxLength, feedMaxUsers);
        this.admission = new LocalAdmission(membership, ids, dev, localHistory, history.maxAge(), feed);
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
