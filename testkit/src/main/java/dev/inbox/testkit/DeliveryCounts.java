package dev.inbox.testkit;

/**
 * The delivery counters of one event loop, then, merged, of the whole run. Loss is not counted on arrival but
 * derived at the end: {@code lost = expected - unique}, where {@code expected} is, over every message sent and not
 * refused, the number of connections of its conversation (its sender's own acknowledgement included). A skipped
 * sequence seen on arrival ({@link #gapSeqs}) may be a refused message rather than a lost one, and a message lost
 * after a connection's last delivery leaves no gap at all; the subtraction counts both right.
 *
 * <p>Mutable; touched by one thread at a time (the event loop, then the reporting thread after a hand-off).
 */
public final class DeliveryCounts {
    /** Event frames received (TEXT), acknowledgements included. */
    public long received;
    /** Deliveries of a message this connection had not seen yet. */
    public long unique;
    /** Deliveries of a message this connection had seen already (or out of order). */
    public long duplicated;
    /** Sequences skipped on arrival: refused messages and lost ones (diagnostic; see the class comment). */
    public long gapSeqs;
    /** Events for another conversation than the connection's, or from a sender slot that does not exist. */
    public long misrouted;

    public void count(DeliveryLedger ledger, int slot, long seq) {
        received++;
        long outcome = ledger.record(slot, seq);
        if (outcome == DeliveryLedger.DUPLICATE) {
            duplicated++;
        } else if (outcome == DeliveryLedger.UNKNOWN_SLOT) {
            misrouted++;
        } else {
            unique++;
            gapSeqs += outcome;
        }
    }

    public void misrouted() {
        received++;
        misrouted++;
    }

    public void add(DeliveryCounts o) {
        received += o.received;
        unique += o.unique;
        duplicated += o.duplicated;
        gapSeqs += o.gapSeqs;
        misrouted += o.misrouted;
    }

    /** Expected deliveries that never came. */
    public long lost(long expected) {
        return Math.max(0, expected - unique);
    }

    /**
     * Unique deliveries beyond what was expected: messages delivered though refused. Loss and surplus net out in the
     * subtraction, so either one fails a run.
     */
    public long surplus(long expected) {
        return Math.max(0, unique - expected);
    }
}
