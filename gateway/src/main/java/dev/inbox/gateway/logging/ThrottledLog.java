package dev.inbox.gateway.logging;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * A warning that may fire once per message or connection, logged at most once per interval with a count of what was
 * left out: under overload a line (let alone a stack trace) per message buries the one line that explains it, and
 * the logging costs what the node is short of (issue 17: 55 030 stack traces in one overload log). The first
 * occurrence ever carries its stack trace; later lines name the exception only.
 *
 * <p>Thread-safe, lock-free; an occurrence that is not logged costs a clock read and a counter, nothing more than the
 * caller's {@code detail} (callers build it only on paths that are already failing).
 */
public final class ThrottledLog {
    /** How often one condition may log, unless told otherwise. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

    private final Logger log;
    private final String condition;
    private final long intervalNanos;
    private final AtomicLong left = new AtomicLong();
    /** When the next line may go out ({@link System#nanoTime}); the first may at once. */
    private final AtomicLong nextAt;

    private final AtomicBoolean traced = new AtomicBoolean();
    private final LongSupplier nanoTime;

    public ThrottledLog(Logger log, String condition) {
        this(log, condition, DEFAULT_INTERVAL);
    }

    public ThrottledLog(Logger log, String condition, Duration interval) {
        this(log, condition, interval, System::nanoTime);
    }

    /** With a clock of the test's. */
    ThrottledLog(Logger log, String condition, Duration interval, LongSupplier nanoTime) {
        this.log = log;
        this.condition = condition;
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
        this.nextAt = new AtomicLong(nanoTime.getAsLong());
    }

    /** One occurrence: {@code detail} says which (a conversation, a connection); {@code cause} may be null. */
    public void warn(Object detail, Throwable cause) {
        long now = nanoTime.getAsLong();
        long next = nextAt.get();
        if (now - next < 0 || !nextAt.compareAndSet(next, now + intervalNanos)) {
            left.incrementAndGet();
            return;
        }
        long more = left.getAndSet(0);
        String line = more == 0
                ? condition + " (" + detail + ")"
                : condition + " (" + detail + "; " + more + " more since the last such line)";
        if (cause == null) {
            log.warn(line);
        } else if (traced.compareAndSet(false, true)) {
            log.warn(line, cause);
        } else {
            log.warn("{}: {}: {}", line, cause.getClass().getSimpleName(), cause.getMessage());
        }
    }

    /** Occurrences since the last line that no line has reported yet. */
    public long pending() {
        return left.get();
    }
}
