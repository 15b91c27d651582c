package dev.inbox.protocol;

/** The range every id on the wire lives in: positive and exactly representable as a JavaScript number. */
public final class Ids {
    /** 2^53 - 1, {@code Number.MAX_SAFE_INTEGER}: the largest id a JavaScript client reads exactly. */
    public static final long MAX_SAFE = (1L << 53) - 1;

    /**
     * The smallest {@code message_id}: 10^15. Every message id has exactly {@value #MESSAGE_ID_DIGITS} digits (10^15 to
     * 2^53-1), so an encoded event can be written with a placeholder and its id patched in later without changing
     * the frame's length (see {@link ServerFrameEncoder#writeMessageId}).
     */
    public static final long MIN_MESSAGE_ID = 1_000_000_000_000_000L;
    /** Digits in every message id. */
    public static final int MESSAGE_ID_DIGITS = 16;

    private Ids() {}

    /** Whether {@code id} is a valid message id: 16 digits and below 2^53. */
    public static boolean isValidMessageId(long id) {
        return id >= MIN_MESSAGE_ID && id <= MAX_SAFE;
    }

    /** Whether {@code id} is a valid user, conversation or message id. */
    public static boolean isValid(long id) {
        return id > 0 && id <= MAX_SAFE;
    }
}
