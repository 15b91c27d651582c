package dev.inbox.testkit;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits, with a bound, until a condition holds: the one polling loop of the kit and the tests that use it. */
public final class Await {
    /** How long a test waits for something that should happen promptly (a frame, a node, a server). */
    public static final Duration WAIT = Duration.ofSeconds(10);

    private Await() {}

    /** Waits up to {@link #WAIT} until {@code condition} holds, failing with {@code what}. */
    public static void until(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            LockSupport.parkNanos(2_000_000); // re-check every 2 ms; the bound above is what fails the test
        }
    }
}
