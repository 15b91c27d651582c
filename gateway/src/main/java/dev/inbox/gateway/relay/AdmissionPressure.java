package dev.inbox.gateway.relay;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How hard this node's admissions press on Redis, and whether to send one more: the node sheds a message
 * ({@code overloaded}) rather than queue it behind others Redis cannot answer soon (issue 17: past capacity a queue
 * only grows until every message in it is late).
 *
 * <p>Three signals. {@code maxWaiting} admissions sent and unanswered, whatever their age. The round trip of the
 * latest answer: past {@code maxRoundTripNanos}, what is sent now waits at least about as long. And silence: Redis has
 * answered nothing for longer than that bound while admissions wait (a stall, which the latest round trip cannot show
 * until it ends). On either of the last two a message is shed while another is still waiting. A message that finds
 * none waiting is always sent: it probes, and its answer (quick once the queue has drained) reopens the gate. So what
 * is admitted waits about the bound, plus what was already in flight when it was crossed.
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
    /** When the latest answer came ({@link System#nanoTime}). */
    private volatile long lastAnsweredNanos;
    /** When the waiting count last left zero: a silence is measured from here or the latest answer, the later. */
    private volatile long busySinceNanos;

    AdmissionPressure(int maxWaiting, long maxRoundTripNanos) {
        this.maxWaiting = maxWaiting;
        this.maxRoundTripNanos = maxRoundTripNanos;
        this.lastAnsweredNanos = System.nanoTime();
        this.busySinceNanos = lastAnsweredNanos;
    }

    /** Takes a place for one admission about to be sent; returns null, or why not (then nothing is taken). */
    Refusal tryTake() {
        long now = System.nanoTime();
        if (waiting.get() == 0) {
            busySinceNanos = now; // before the increment, so whoever counts a second one sees it
        }
        int w = waiting.incrementAndGet();
        if (w > maxWaiting) {
            waiting.decrementAndGet();
            return Refusal.FULL;
        }
        if (w > 1
                && maxRoundTripNanos > 0
                && (lastRoundTripNanos > maxRoundTripNanos || silentFor(now) > maxRoundTripNanos)) {
            waiting.decrementAndGet();
            return Refusal.SLOW;
        }
        return null;
    }

    private long silentFor(long now) {
        return now - Math.max(lastAnsweredNanos, busySinceNanos);
    }

    /** An admission taken by {@link #tryTake} was answered after {@code roundTripNanos}. */
    void answered(long roundTripNanos) {
        lastRoundTripNanos = roundTripNanos;
        lastAnsweredNanos = System.nanoTime();
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
