package dev.inbox.gateway.relay;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How hard this node's admissions press on Redis, and whether to send one more: the node sheds a message
 * ({@code overloaded}) rather than queue it behind others Redis cannot answer soon (issue 17: past capacity a queue
 * only grows until every message in it is late).
 *
 * <p>Two bounds. {@code maxWaiting} admissions sent and unanswered, whatever their age. And the round trip of the
 * latest answer: past {@code maxRoundTripNanos}, what is sent now waits at least about as long, so a new message is
 * shed while others are still waiting. A message that finds none waiting is always sent: it probes, and its answer
 * (quick once the queue has drained) reopens the gate. So what is admitted waits about the bound at most, plus one
 * round trip of the queue that was in flight when the bound was crossed.
 *
 * <p>Thread-safe: admissions come from every event loop, answers on Lettuce's thread.
 */
final class AdmissionPressure {
    /** Why a message was not sent. */
    enum Refusal {
        /** {@code maxWaiting} admissions are unanswered. */
        FULL,
        /** The latest answer came back slower than the bound. */
        SLOW
    }

    private final AtomicInteger waiting = new AtomicInteger();
    private final int maxWaiting;
    /** 0: no bound on the round trip. */
    private final long maxRoundTripNanos;

    private volatile long lastRoundTripNanos;

    AdmissionPressure(int maxWaiting, long maxRoundTripNanos) {
        this.maxWaiting = maxWaiting;
        this.maxRoundTripNanos = maxRoundTripNanos;
    }

    /** Takes a place for one admission about to be sent; returns null, or why not (then nothing is taken). */
    Refusal tryTake() {
        int w = waiting.incrementAndGet();
        if (w > maxWaiting) {
            waiting.decrementAndGet();
            return Refusal.FULL;
        }
        if (w > 1 && maxRoundTripNanos > 0 && lastRoundTripNanos > maxRoundTripNanos) {
            waiting.decrementAndGet();
            return Refusal.SLOW;
        }
        return null;
    }

    /** An admission taken by {@link #tryTake} was answered after {@code roundTripNanos}. */
    void answered(long roundTripNanos) {
        lastRoundTripNanos = roundTripNanos;
        waiting.decrementAndGet();
    }

    /** An admission taken by {@link #tryTake} was not sent after all. */
    void cancelled() {
        waiting.decrementAndGet();
    }

    /**
     * Whether the node is half way to shedding (half of {@code maxWaiting} waiting, or the latest answer slower than
     * half the bound with some still waiting): typing, which is worth less, is shed from here on.
     */
    boolean crowded() {
        int w = waiting.get();
        return w >= maxWaiting / 2 || (w > 0 && maxRoundTripNanos > 0 && lastRoundTripNanos > maxRoundTripNanos / 2);
    }

    int waiting() {
        return waiting.get();
    }

    int maxWaiting() {
        return maxWaiting;
    }

    long lastRoundTripNanos() {
        return lastRoundTripNanos;
    }

    long maxRoundTripNanos() {
        return maxRoundTripNanos;
    }
}
