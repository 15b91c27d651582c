package dev.inbox.testkit;

/**
 * One receiving connection's record of its conversation's senders: the last sequence seen from each sending slot.
 * Exact and bounded (one int per sender of the conversation) because the gateway delivers a conversation's messages
 * to each connection in {@code message_id} order and each sender numbers its messages 1, 2, 3, ... in the order it
 * sends them: so {@code seq == last + 1} is the next message, {@code seq > last + 1} skipped some (refused or lost),
 * and {@code seq <= last} was seen already. An out-of-order delivery also lands in the last case, which is right: the
 * order guarantee forbids it, and the message it overtook is then missing from the unique count as well.
 *
 * <p>Not thread-safe: touched only by its connection's one reading thread (the load generator's event loop).
 */
public final class DeliveryLedger {
    public static final int UNKNOWN_SLOT = -2;
    public static final int DUPLICATE = -1;

    private final int[] last;

    public DeliveryLedger(int senders) {
        this.last = new int[senders];
    }

    /**
     * Records a delivery of {@code seq} from {@code slot}: {@link #DUPLICATE}, {@link #UNKNOWN_SLOT}, or the number of
     * sequences skipped before it (0 when it is the next one).
     */
    public long record(int slot, long seq) {
        if (slot < 0 || slot >= last.length || seq < 1 || seq > Integer.MAX_VALUE) {
            return UNKNOWN_SLOT;
        }
        int previous = last[slot];
        if (seq <= previous) {
            return DUPLICATE;
        }
        last[slot] = (int) seq;
        return seq - previous - 1;
    }
}
