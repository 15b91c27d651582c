package dev.inbox.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test when Netty's leak detector reports a leak: after each test it collects garbage, makes the detectors
 * poll their reference queues, and throws an {@link AssertionError} carrying every leak record (where the buffer
 * was allocated and last touched). Registered for every test by Jupiter's extension autodetection
 * ({@code META-INF/services/org.junit.jupiter.api.extension.Extension} and {@code junit-platform.properties}, both
 * in the testkit jar).
 *
 * <p>A leak surfaces when its buffer is collected, so it is normally reported after the test that leaked it; if the
 * buffer was still reachable (a static, a running event loop) it is reported after a later test. The records name
 * the allocation site either way.
 *
 * <p>Fails loudly, on every test, when leak detection is not really active: the factory missing (the session
 * listener did not run), the {@code ByteBuf} detector created before the factory was installed, or a level below
 * {@code PARANOID}.
 */
public final class LeakDetectionExtension implements AfterEachCallback {
    /**
     * Garbage collections per check. A reference cleared by one collection is enqueued by the JDK's reference
     * handler before it takes the next collection's batch, so once the second round's sentinel is enqueued every
     * buffer unreachable before the first round has reached its detector's queue. A third round is margin.
     */
    private static final int GC_ROUNDS = 3;
    /** Upper bound on waiting for the reference handler; normally it takes microseconds. */
    private static final long REFERENCE_PROCESSING_TIMEOUT_MILLIS = 10_000;

    @Override
    public void afterEach(ExtensionContext context) {
        assertNoLeaks();
    }

    /**
     * The check run after every test: {@link #collectLeaks()} and, if any, an {@link AssertionError} with all of
     * them. The recorded leaks are drained either way.
     */
    public static void assertNoLeaks() {
        List<String> leaks = collectLeaks();
        if (!leaks.isEmpty()) {
            StringBuilder text = new StringBuilder()
                    .append(leaks.size())
                    .append(" Netty resource leak(s) detected: a reference-counted object")
                    .append(" was garbage-collected without release(). The records below show where it was")
                    .append(" allocated and last accessed (it may have been leaked by an earlier test).");
            for (int i = 0; i < leaks.size(); i++) {
                text.append("\n\n#").append(i + 1).append(' ').append(leaks.get(i));
            }
            throw new AssertionError(text.toString());
        }
    }

    /**
     * Collects garbage, makes the {@code ByteBuf} leak detector poll its reference queue, and removes and returns
     * every leak recorded since the last call.
     *
     * @throws AssertionError when leak detection is not active
     */
    public static List<String> collectLeaks() {
        requireFactoryInstalled();
        ReferenceQueue<Object> queue = new ReferenceQueue<>();
        for (int round = 0; round < GC_ROUNDS; round++) {
            awaitCollection(queue);
            pollDetectors();
        }
        requireByteBufDetectorRecords();
        return LeakRecordingDetectorFactory.drainLeaks();
    }

    private static void requireFactoryInstalled() {
        if (!LeakRecordingDetectorFactory.isInstalled()) {
            throw new AssertionError("Leak detection is not active: LeakRecordingDetectorFactory is not Netty's"
                    + " ResourceLeakDetectorFactory. LeakDetectionSessionListener must run first; it is registered in"
                    + " META-INF/services/org.junit.platform.launcher.LauncherSessionListener of the"
                    + " testkit jar and needs junit-platform-launcher on the test runtime classpath.");
        }
        if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID) {
            throw new AssertionError("Leak detection must run at PARANOID in tests, but the level is "
                    + ResourceLeakDetector.getLevel() + ": run with -Dio.netty.leakDetection.level=paranoid");
        }
    }

    private static void requireByteBufDetectorRecords() {
        if (!LeakRecordingDetectorFactory.detects(ByteBuf.class)) {
            throw new AssertionError("Leak detection is not active for ByteBuf: its detector was created before"
                    + " LeakRecordingDetectorFactory was installed, so ByteBuf leaks would only be logged. Something"
                    + " initialised a ByteBuf class before LeakDetectionSessionListener ran.");
        }
    }

    /** One garbage collection, then a bounded wait until the reference handler has processed it. */
    private static void awaitCollection(ReferenceQueue<Object> queue) {
        WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
        System.gc();
        Reference<?> enqueued;
        try {
            enqueued = queue.remove(REFERENCE_PROCESSING_TIMEOUT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for garbage collection", e);
        }
        if (enqueued != sentinel) {
            throw new AssertionError("System.gc() did not collect an unreachable object within "
                    + REFERENCE_PROCESSING_TIMEOUT_MILLIS + " ms, so leaks cannot be detected"
                    + " (is the test JVM running with -XX:+DisableExplicitGC?)");
        }
        Reference.reachabilityFence(sentinel);
    }

    /** Leak-tracked allocations: each makes the {@code ByteBuf} detector poll its queue and report what it finds. */
    private static void pollDetectors() {
        ByteBufAllocator[] allocators = {
            PooledByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT, ByteBufAllocator.DEFAULT
        };
        for (ByteBufAllocator alloc : allocators) {
            alloc.heapBuffer(8).release();
            alloc.directBuffer(8).release();
        }
    }
}
