package dev.inbox.benchmarks.loadgen;

/**
 * The open-model schedule of one event loop: message {@code n} (0, 1, 2, ...) is meant to leave at
 * {@code start + n / rate}, whatever happened to the messages before it, until {@code end}. Latency is measured from
 * these intended times, so a stall anywhere (gateway, network, or this process) shows up in the latency of every
 * message it delayed instead of silently slowing the sending down (coordinated omission).
 */
final class SendSchedule {
    private final long start;
    private final double intervalNanos;
    private final long count;

    /**
     * @param start nanoTime of message 0
     * @param end   nanoTime at which sending stops (no message is intended at or after it)
     * @param rate  messages per second
     */
    SendSchedule(long start, long end, double rate) {
        this.start = start;
        this.intervalNanos = 1e9 / rate;
        long c = end <= start ? 0 : (long) Math.ceil((end - start) / intervalNanos);
        // Exactly the messages intendedAt() puts before the end, whatever the floating-point rounding did above.
        while (c > 0 && intendedAt(c - 1) >= end) {
            c--;
        }
        while (end > start && intendedAt(c) < end) {
            c++;
        }
        this.count = c;
    }

    /** The nanoTime at which message {@code n} is meant to leave. */
    long intendedAt(long n) {
        return start + Math.round(n * intervalNanos);
    }

    /** How many messages the schedule holds. */
    long count() {
        return count;
    }
}
