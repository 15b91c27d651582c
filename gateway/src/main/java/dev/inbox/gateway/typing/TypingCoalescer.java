package dev.inbox.gateway.typing;

/**
 * Remembers when a TYPING was last forwarded per (sender, conversation), so at most one goes on per interval. One
 * instance per event loop, for the conversations that loop owns, touched only on it: no lock, and nothing allocated
 * per frame.
 *
 * <p>A fixed, lossy table of {@value #SLOTS} slots (96 KiB): a pair hashes to one slot, and a pair that lands on a
 * slot another pair holds takes it over. So two pairs colliding while both type forward more often than the interval
 * allows (more TYPING, never fewer); memory stays fixed however many people type.
 */
final class TypingCoalescer {
    static final int SLOTS = 4096;

    private final long[] senders = new long[SLOTS];
    private final long[] conversations = new long[SLOTS];
    private final long[] forwardedAtNanos = new long[SLOTS];
    private final long intervalNanos;

    TypingCoalescer(long intervalNanos) {
        this.intervalNanos = intervalNanos;
    }

    /** Whether a TYPING of {@code senderId} in {@code conversationId} goes on now; if so, it is remembered. */
    boolean tryForward(long senderId, long conversationId, long nowNanos) {
        int slot = slotOf(senderId, conversationId);
        if (senders[slot] == senderId
                && conversations[slot] == conversationId
                && nowNanos - forwardedAtNanos[slot] < intervalNanos) {
            return false;
        }
        senders[slot] = senderId;
        conversations[slot] = conversationId;
        forwardedAtNanos[slot] = nowNanos;
        return true;
    }

    private static int slotOf(long senderId, long conversationId) {
        long h = (senderId * 0x9E3779B97F4A7C15L) ^ (conversationId * 0xC2B2AE3D27D4EB4FL);
        return (int) ((h ^ (h >>> 29)) & (SLOTS - 1));
    }
}
