package dev.inbox.gateway.routing;

/**
 * The single node's {@link Relay}: membership in memory, ids from the clock, and no other node to hear from. What
 * it holds is lost when the node stops.
 */
public final class LocalRelay implements Relay {
    private final InMemoryMembership membership = new InMemoryMembership();
    private final LocalAdmission admission;
    private final LocalUserFeed feed;

    /**
     * @param dev      whether a sender who is not a member joins an unmanaged conversation (dev mode)
     * @param feedMaxLength most entries one user's feed holds
     * @param feedMaxUsers  most users with a feed in memory
     */
    public LocalRelay(boolean dev, int feedMaxLength, int feedMaxUsers) {
        this.feed = new LocalUserFeed(feedMaxLength, feedMaxUsers);
        this.admission = new LocalAdmission(membership, new ClockMessageIds(), dev, feed);
    }

    /** A single node with the default feed bounds, for tests. */
    public LocalRelay(boolean dev) {
        this(dev, 1000, 100_000);
    }

    @Override
    public UserFeed feed() {
        return feed;
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
