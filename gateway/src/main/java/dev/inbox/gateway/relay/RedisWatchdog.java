package dev.inbox.gateway.relay;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread a Redis link uses to check its connection and to retry connecting. Blocking on a PING reply is
 * fine here: this is not an event loop. A check that throws is logged, never allowed to cancel later checks.
 */
final class RedisWatchdog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisWatchdog.class);

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "inbox-redis-watchdog");
        t.setDaemon(true);
        return t;
    });

    /** Runs {@code check} every {@code interval}, starting one interval from now. */
    void every(Duration interval, Runnable check) {
        long ms = interval.toMillis();
        thread.scheduleWithFixedDelay(
                () -> {
                    try {
                        check.run();
                    } catch (RuntimeException | Error e) {
                        log.error("redis watchdog check failed", e);
                    }
                },
                ms,
                ms,
                TimeUnit.MILLISECONDS);
    }

    /** Runs {@code task} once, after {@code delay}. */
    void after(Duration delay, Runnable task) {
        thread.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
