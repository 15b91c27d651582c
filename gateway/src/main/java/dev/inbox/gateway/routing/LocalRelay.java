package dev.inbox.gateway.routing;

/**
 * The single node's {@link Relay}: membership in memory, ids from the clock, and no other node to hear from. What
 * it holds is lost when the node stops.
 */
public final class LocalRelay implements Relay {
    private final InMemoryMembership membership = new InMemoryMembership();
    private final LocalAdmission admission;

    /** @param dev whether a sender who is not a member joins an unmanaged conversation (dev mode) */
    public LocalRelay(boolean dev) {
        this.admission = new LocalAdmission(membership, new ClockMessageIds(), dev);
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
