package dev.inbox.gateway.relay;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * How hard this node's admissions press on Redis, and whether to send one more: the node sheds a message
 * ({@code overloaded}) rather than queue it behind others Redis cannot answer soon (issue 17: past capacity a queue
 * only grows until every message in it is late).
 *
 * <p>Three signals, with {@code bound} the longest a message should wait for its answer:
 * <ul>
 *   <li>{@code maxWaiting} admissions sent and unanswered, whatever their age;
 *   <li>a standing queue: over the latest window of {@code bound}, even the quickest of at least
 *       {@value #MIN_ANSWERS} answers took longer than {@code bound} (the minimum, as CoDel judges a queue: one slow
 *       answer, a pause or a cold start, is not a queue; every answer slow is);
 *   <li>silence: Redis has answered nothing for longer than {@code bound} while admissions wait (a stall, which no
 *       answer can show until it ends).
 * </ul>
 * On either of the last two a message is shed while another is still waiting. A message that finds none waiting is
 * always sent: it probes, and quick answers reopen the gate within a window. So what is admitted waits about the
 * bound, plus what was already in flight when it was crossed.
 *
 * <p>Thread-safe: admissions come from every event loop; answers come on one Lettuce thread per connection, and
 * where several deliver them (a cluster) a race only blurs one window.
 */
final class AdmissionPressure {
    /** Fewer answers than this in a window say nothing about a queue. */
    static final int MIN_ANSWERS = 4;

    /** Why a message was not sent. */
    enum Refusal {
        /** {@code maxWaiting} admissions are unanswered. */
        FULL,
        /** Answers come back slower than the bound, or not at all. */
        SLOW
    }

    private final AtomicInteger waiting = new AtomicInteger();
    private final int maxWaiting;
    /** 0: no bound on the wait. */
    private final long boundNanos;

    private final LongSupplier nanoTime;
    /** When the latest answer came. */
    private volatile long lastAnsweredNanos;
    /** When the waiting count last left zero: a silence is measured from here or the latest answer, the later. */
    private volatile long busySinceNanos;
    /** The verdict of the latest window that said anything: every answer in it was slower than the bound. */
    private volatile boolean standingQueue;
    // The window being measured: written by the answering thread.
    private long windowStartNanos;
    private long windowMinNanos = Long.MAX_VALUE;
    private int windowAnswers;
    private volatile long lastRoundTripNanos;

    AdmissionPressure(int maxWaiting, long boundNanos) {
        this(maxWaiting, boundNanos, System::nanoTime);
    }

    /** With a clock of the test's. */
    AdmissionPressure(int maxWaiting, long boundNanos, LongSupplier nanoTime) {
        this.maxWaiting = maxWaiting;
        this.boundNanos = boundNanos;
        this.nanoTime = nanoTime;
        long now = nanoTime.getAsLong();
        this.lastAnsweredNanos = now;
        this.busySinceNanos = now;
        this.windowStartNanos = now;
    }

    /** Takes a place for one admission about to be sent; returns null, or why not (then nothing is taken). */
    Refusal tryTake() {
        long now = nanoTime.getAsLong();
        if (waiting.get() == 0) {
            busySinceNanos = now; // before the increment, so whoever counts a second one sees it
        }
        int w = waiting.incrementAndGet();
        if (w > maxWaiting) {
            waiting.decrementAndGet();
            return Refusal.FULL;
        }
        if (w > 1 && boundNanos > 0 && (standingQueue || silentFor(now) > boundNanos)) {
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
        long now = nanoTime.getAsLong();
        if (boundNanos > 0 && now - windowStartNanos >= boundNanos) {
            if (windowMinNanos <= boundNanos) {
                standingQueue = false;
            } else if (windowAnswers >= MIN_ANSWERS) {
                standingQueue = true;
            } // else too few answers to change the verdict
            windowStartNanos = now;
            windowMinNanos = Long.MAX_VALUE;
            windowAnswers = 0;
        }
        windowMinNanos = Math.min(windowMinNanos, roundTripNanos);
        windowAnswers++;
        lastRoundTripNanos = roundTripNanos;
        lastAnsweredNanos = now;
        waiting.decrementAndGet();
    }

    /** An admission taken by {@link #tryTake} was not sent after all. */
    void cancelled() {
        waiting.decrementAndGet();
    }

    /**
     * Whether the node is half way to shedding (half of {@code maxWaiting} waiting, a standing queue, or the latest
     * answer slower than half the bound with some still waiting): typing, which is worth less, is shed from here on.
     */
    boolean crowded() {
        int w = waiting.get();
        return w >= maxWaiting / 2
                || (boundNanos > 0 && (standingQueue || (w > 0 && lastRoundTripNanos > boundNanos / 2)));
    }

    int waiting() {
        return waiting.get();
    }

    int maxWaiting() {
        return maxWaiting;
    }

    long boundNanos() {
        return boundNanos;
    }
}
