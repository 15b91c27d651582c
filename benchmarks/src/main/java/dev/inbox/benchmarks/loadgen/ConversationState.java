package dev.inbox.benchmarks.loadgen;

/**
 * One conversation as the event loop that owns all its connections sees it: how many of its connections opened, and
 * how many messages were sent to it and refused, from which its expected deliveries follow. Touched only by that
 * event loop (every connection of a conversation is placed on the same one, so a conversation needs no locks).
 */
final class ConversationState {
    final ConversationPlan plan;
    /** The frame bytes before the message text, fixed per conversation. */
    final byte[] prefix;
    /** Sender slots: the sending members times the connections per user. */
    final int senderSlots;

    int established;
    long sent;
    long refused;

    ConversationState(ConversationPlan plan, int connectionsPerUser) {
        this.plan = plan;
        this.prefix = MessageText.prefix(plan.id());
        this.senderSlots = plan.senders() * connectionsPerUser;
    }

    /**
     * Every message sent and not refused goes to every connection of the conversation that opened (the sender's own
     * being its acknowledgement). Connections closing during the run fail it, so this count does not follow them.
     */
    long expectedDeliveries() {
        return (sent - refused) * established;
    }
}
