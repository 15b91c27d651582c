package dev.inbox.testkit;

import io.netty.util.ResourceLeakDetector;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installs {@link LeakRecordingDetectorFactory} when the JUnit Platform opens a launcher session: before test
 * discovery, so before any test class (and with it any {@code ByteBuf} class) is loaded. Registered through
 * {@code META-INF/services/org.junit.platform.launcher.LauncherSessionListener}; it reaches every module whose tests
 * have the testkit (inbox-testkit) on their classpath.
 *
 * <p>Sessions may be opened more than once per JVM (Surefire opens one per discovery and execution request), so
 * everything here is idempotent.
 */
public final class LeakDetectionSessionListener implements LauncherSessionListener {
    /** The Jupiter key that turns on {@code ServiceLoader} registration of {@link LeakDetectionExtension}. */
    static final String AUTODETECTION_KEY = "junit.jupiter.extensions.autodetection.enabled";

    private static final String LEVEL_PROPERTY = "io.netty.leakDetection.level";

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        LeakRecordingDetectorFactory.install();
        // The build sets -Dio.netty.leakDetection.level=paranoid; a run without it (an IDE) gets the same level.
        // An explicitly different level is left alone, and LeakDetectionExtension fails every test on it.
        if (System.getProperty(LEVEL_PROPERTY) == null && System.getProperty("io.netty.leakDetectionLevel") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        }
        // junit-platform.properties (in this jar) turns extension autodetection on. JUnit reads only the first
        // such file on the classpath, so a module that adds its own would silently turn it off; a system property
        // outranks the file and keeps LeakDetectionExtension registered. An explicit setting is left alone.
        if (System.getProperty(AUTODETECTION_KEY) == null) {
            System.setProperty(AUTODETECTION_KEY, "true");
        }
    }
}
