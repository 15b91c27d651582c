package dev.inbox.gateway.routing;

/**
 * A token bucket: {@code ratePerSecond} tokens a second, at most {@code burst} saved up. Not thread-safe: each
 * owner (a connection, on its event loop; an address, under its own lock) keeps its own. Time is passed in, so
 * there is no clock read the caller did not already make.
 */
public final class TokenBucket {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final long nanosPerToken;
    private final long capacityNanos;
    /** Tokens held, in nanoseconds of refill time (so no fractions). */
    private long storedNanos;

    private long lastNanos;

    public TokenBucket(int ratePerSecond, int burst, long nowNanos) {
        if (ratePerSecond <= 0 || burst <= 0) {
            throw new IllegalArgumentException("rate " + ratePerSecond + ", burst " + burst + " (expected: > 0)");
        }
        this.nanosPerToken = NANOS_PER_SECOND / ratePerSecond;
        this.capacityNanos = nanosPerToken * burst;
        this.storedNanos = capacityNanos;
        this.lastNanos = nowNanos;
    }

    /** Takes one token if there is one. */
    public boolean tryTake(long nowNanos) {
        long elapsed = nowNanos - lastNanos;
        lastNanos = nowNanos;
        if (elapsed > 0) {
            storedNanos = Math.min(capacityNanos, storedNanos + elapsed);
        }
        if (storedNanos >= nanosPerToken) {
            storedNanos -= nanosPerToken;
            return true;
        }
        return false;
    }

    /** Whether the bucket is full again (its owner may be forgotten without changing anything). */
    public boolean isFull(long nowNanos) {
        return storedNanos + (nowNanos - lastNanos) >= capacityNanos;
    }
}
