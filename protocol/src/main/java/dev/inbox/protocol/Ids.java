package dev.inbox.protocol;

/** The range every id on the wire lives in: positive and exactly representable as a JavaScript number. */
public final class Ids {
    /** 2^53 - 1, {@code Number.MAX_SAFE_INTEGER}: the largest id a JavaScript client reads exactly. */
    public static final long MAX_SAFE = (1L << 53) - 1;

    private Ids() {
    }

    /** Whether {@code id} is a valid user, conversation or message id. */
    public static boolean isValid(long id) {
        return id > 0 && id <= MAX_SAFE;
    }
}
