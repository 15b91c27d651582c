package dev.inbox.testkit;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A {@link ResourceLeakDetectorFactory} whose detectors record every leak they report, so a test can fail on it
 * instead of a line in a log nobody reads. Each report is still passed to Netty's own logging, except a leak made on
 * purpose: one whose records carry a marker registered with {@link #expectLeaksMarked} (the leak detector's own
 * self-test), so a passing build prints no {@code LEAK:} trace while every real leak still prints and fails.
 *
 * <p>Installed by {@link LeakDetectionSessionListener} before any {@code ByteBuf} class is initialised
 * ({@code AbstractByteBuf} asks the factory for its detector once, in its static initialiser); checked and drained
 * by {@link LeakDetectionExtension} after every test.
 */
public final class LeakRecordingDetectorFactory extends ResourceLeakDetectorFactory {
    private static final LeakRecordingDetectorFactory INSTANCE = new LeakRecordingDetectorFactory();
    private static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();
    /** Names of the resource types this factory made a detector for, e.g. {@code io.netty.buffer.ByteBuf}. */
    private static final Set<String> DETECTED_TYPES = ConcurrentHashMap.newKeySet();
    /** Touch hints of deliberate leaks: recorded like any other, not logged. */
    private static final Set<String> EXPECTED_MARKERS = ConcurrentHashMap.newKeySet();

    private static volatile boolean installed;

    private LeakRecordingDetectorFactory() {}

    /** Makes this factory Netty's; idempotent. Must run before any class that creates a detector is initialised. */
    public static synchronized void install() {
        if (!installed) {
            ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(INSTANCE);
            installed = true;
        }
    }

    /** Whether {@link #install()} has run and this factory is still Netty's. */
    public static boolean isInstalled() {
        return installed && ResourceLeakDetectorFactory.instance() == INSTANCE;
    }

    /** Whether the detector for {@code resourceType} came from this factory (false if it was made before install). */
    public static boolean detects(Class<?> resourceType) {
        return DETECTED_TYPES.contains(resourceType.getName());
    }

    /** Removes and returns every leak recorded so far, oldest first. */
    public static List<String> drainLeaks() {
        List<String> leaks = new ArrayList<>();
        for (String leak; (leak = LEAKS.poll()) != null; ) {
            leaks.add(leak);
        }
        return leaks;
    }

    /**
     * Leaks whose access records contain {@code marker} (a {@code touch(hint)} hint starting with it) are expected:
     * recorded and drained as usual, but not logged, until {@link #forgetExpectedMarker} is called.
     */
    public static void expectLeaksMarked(String marker) {
        EXPECTED_MARKERS.add(marker);
    }

    public static void forgetExpectedMarker(String marker) {
        EXPECTED_MARKERS.remove(marker);
    }

    private static boolean expected(String records) {
        for (String marker : EXPECTED_MARKERS) {
            if (records.contains(marker)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
        DETECTED_TYPES.add(resource.getName());
        return new RecordingDetector<>(resource, samplingInterval);
    }

    /** The deprecated variant Netty still declares abstract; {@code maxActive} has been ignored by Netty for years. */
    @Deprecated
    @Override
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(
            Class<T> resource, int samplingInterval, long maxActive) {
        return newResourceLeakDetector(resource, samplingInterval);
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        RecordingDetector(Class<?> resourceType, int samplingInterval) {
            super(resourceType, samplingInterval);
        }

        /** Report even when Netty's logger has errors switched off: the test must see every leak. */
        @Override
        protected boolean needReport() {
            return true;
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            LEAKS.add("LEAK: " + resourceType + ".release() was not called before it's garbage-collected." + records);
            if (!expected(records)) {
                super.reportTracedLeak(resourceType, records);
            }
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            LEAKS.add("LEAK: " + resourceType + ".release() was not called before it's garbage-collected"
                    + " (no access records: the leak detector level was below ADVANCED when it was allocated).");
            super.reportUntracedLeak(resourceType);
        }
    }
}
