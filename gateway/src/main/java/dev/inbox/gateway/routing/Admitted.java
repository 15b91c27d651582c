package dev.inbox.gateway.routing;

/**
 * A message let into its conversation, or recognised as a resend of one that was.
 *
 * @param messageId the id it was given (for a resend: the original's)
 * @param members   every member at that moment: the recipients; empty for a resend, which goes to no one again
 * @param originalCreatedAtMillis for a resend, the original's {@code created_at}; {@link #NEW} otherwise
 */
public record Admitted(long messageId, long[] members, long originalCreatedAtMillis) {
    /** {@link #originalCreatedAtMillis} of a message admitted now. */
    public static final long NEW = -1;

    private static final long[] NO_ONE = {};

    /** A message admitted now. */
    public Admitted(long messageId, long[] members) {
        this(messageId, members, NEW);
    }

    /** A resend of a message admitted before with {@code messageId} at {@code createdAtMillis}. */
    public static Admitted resend(long messageId, long createdAtMillis) {
        return new Admitted(messageId, NO_ONE, createdAtMillis);
    }

    /** Whether this is a resend of an earlier message: acknowledged with the original, delivered to no one. */
    public boolean isResend() {
        return originalCreatedAtMillis != NEW;
    }
}
