package dev.inbox.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.Extension;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Proves the leak detection every module's tests rely on catches a real leak, and is wired up as intended. Its leaks
 * are deliberate and carry {@link #DELIBERATE} in their records, so they are recorded but not logged: a passing
 * build shows no {@code LEAK:} trace.
 */
class LeakDetectionExtensionTest {
    private static final String DELIBERATE = "deliberately leaked by LeakDetectionExtensionTest";

    @BeforeAll
    static void expectTheseLeaks() {
        LeakRecordingDetectorFactory.expectLeaksMarked(DELIBERATE);
    }

    @AfterAll
    static void expectNoMore() {
        LeakRecordingDetectorFactory.forgetExpectedMarker(DELIBERATE);
    }

    @AfterEach
    void leaveNothingForTheExtension() {
        LeakRecordingDetectorFactory.drainLeaks();
    }

    @Test
    void leakedPooledDirectBufferIsReportedWithItsAllocationSite() {
        String hint = leak(PooledByteBufAllocator.DEFAULT, true);

        AssertionError error = assertThrows(AssertionError.class, LeakDetectionExtension::assertNoLeaks);

        assertTrue(error.getMessage().contains(hint), error::getMessage);
        assertTrue(error.getMessage().contains("LEAK: ByteBuf.release() was not called"), error::getMessage);
        assertTrue(
                error.getMessage().contains(LeakDetectionExtensionTest.class.getName() + ".leak("),
                "the records name the allocating method:\n" + error.getMessage());
    }

    @Test
    void leakedPooledHeapBufferIsReported() {
        String hint = leak(PooledByteBufAllocator.DEFAULT, false);

        assertReported(hint);
    }

    @Test
    void leakedUnpooledDirectBufferIsReported() {
        String hint = leak(UnpooledByteBufAllocator.DEFAULT, true);

        assertReported(hint);
    }

    @Test
    void leakedBufferFromTheDefaultAllocatorIsReported() {
        String hint = leak(ByteBufAllocator.DEFAULT, false);

        assertReported(hint);
    }

    @Test
    void checkDrainsWhatItReports() {
        String hint = leak(PooledByteBufAllocator.DEFAULT, true);
        assertReported(hint);

        assertEquals(List.of(), LeakDetectionExtension.collectLeaks());
        LeakDetectionExtension.assertNoLeaks();
    }

    @Test
    void releasedBuffersAreNotReported() {
        for (ByteBufAllocator alloc :
                List.of(PooledByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT, ByteBufAllocator.DEFAULT)) {
            ByteBuf buf = alloc.directBuffer(64).writeLong(1);
            ByteBuf copy = buf.retainedDuplicate();
            copy.release();
            buf.release();
        }

        assertEquals(List.of(), LeakDetectionExtension.collectLeaks());
    }

    @Test
    void recordingFactoryIsInstalledBeforeTheByteBufDetectorIsCreated() {
        ByteBufAllocator.DEFAULT.buffer(1).release();

        assertInstanceOf(LeakRecordingDetectorFactory.class, ResourceLeakDetectorFactory.instance());
        assertTrue(LeakRecordingDetectorFactory.isInstalled());
        assertTrue(LeakRecordingDetectorFactory.detects(ByteBuf.class));
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel());
    }

    @Test
    void listenerAndExtensionAreRegisteredAsServices() {
        assertTrue(ServiceLoader.load(LauncherSessionListener.class).stream()
                .anyMatch(p -> p.type() == LeakDetectionSessionListener.class));
        assertTrue(
                ServiceLoader.load(Extension.class).stream().anyMatch(p -> p.type() == LeakDetectionExtension.class));
    }

    @Test
    void exactlyOneJunitPlatformPropertiesEnablesExtensionAutodetection() throws IOException {
        List<URL> files = Collections.list(getClass().getClassLoader().getResources("junit-platform.properties"));
        assertEquals(1, files.size(), () -> "JUnit reads only the first of " + files);
        Properties properties = new Properties();
        try (InputStream in = files.get(0).openStream()) {
            properties.load(in);
        }
        assertEquals("true", properties.getProperty(LeakDetectionSessionListener.AUTODETECTION_KEY));
    }

    /** End to end: a test that leaks fails, through the autodetected extension, with the leak's records. */
    @Test
    void testThatLeaksABufferFails() {
        LeakyTestCase.hint = DELIBERATE + " through LeakyTestCase " + UUID.randomUUID();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(LeakyTestCase.class))
                .build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        try (LauncherSession session = LauncherFactory.openSession()) {
            session.getLauncher().execute(request, listener);
        } finally {
            LeakyTestCase.hint = null;
        }

        TestExecutionSummary summary = listener.getSummary();
        assertEquals(1, summary.getTestsFoundCount());
        assertEquals(1, summary.getTestsFailedCount());
        Throwable failure = summary.getFailures().get(0).getException();
        assertInstanceOf(AssertionError.class, failure);
        assertTrue(failure.getMessage().contains("Netty resource leak"), failure::getMessage);
        assertTrue(failure.getMessage().contains(LeakyTestCase.hintSeen), failure::getMessage);
    }

    /**
     * A leak nobody expected is still passed to Netty's logging (captured here, through java.util.logging, which
     * Netty uses when no SLF4J is on the class path, as in this module's tests), and a deliberate one is not.
     */
    @Test
    void unexpectedLeaksAreStillLoggedAndDeliberateOnesAreNot() {
        Logger netty = Logger.getLogger(ResourceLeakDetector.class.getName());
        List<String> logged = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(
                        String.valueOf(record.getMessage()) + " " + java.util.Arrays.toString(record.getParameters()));
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        boolean parents = netty.getUseParentHandlers();
        netty.addHandler(capture);
        netty.setUseParentHandlers(false); // captured, not printed
        try {
            String unexpected = "unexpected leak " + UUID.randomUUID();
            PooledByteBufAllocator.DEFAULT.heapBuffer(8).writeInt(1).touch(unexpected);
            String deliberate = leak(PooledByteBufAllocator.DEFAULT, false);

            assertReported(unexpected, deliberate);
            assertTrue(logged.stream().anyMatch(l -> l.contains(unexpected)), () -> "not logged: " + logged);
            assertFalse(logged.stream().anyMatch(l -> l.contains(deliberate)), () -> "logged: " + logged);
        } finally {
            netty.removeHandler(capture);
            netty.setUseParentHandlers(parents);
        }
    }

    /** Run only by {@link #testThatLeaksABufferFails()}; skipped when a runner picks it up on its own. */
    static class LeakyTestCase {
        static volatile String hint;
        static volatile String hintSeen = "(not run)";

        @Test
        void leaksABuffer() {
            String h = hint;
            assumeTrue(h != null, "run by LeakDetectionExtensionTest only");
            hintSeen = h;
            PooledByteBufAllocator.DEFAULT.directBuffer(16).writeInt(7).touch(h);
        }
    }

    private static void assertReported(String... hints) {
        List<String> leaks = LeakDetectionExtension.collectLeaks();
        for (String hint : hints) {
            assertTrue(
                    leaks.stream().anyMatch(leak -> leak.contains(hint)),
                    () -> "no leak with " + hint + " in " + leaks);
        }
    }

    /** Allocates a tracked buffer, uses it, and drops the only reference when it returns. */
    private static String leak(ByteBufAllocator alloc, boolean direct) {
        String hint = DELIBERATE + " " + UUID.randomUUID();
        ByteBuf buf = direct ? alloc.directBuffer(32) : alloc.heapBuffer(32);
        buf.writeLong(42).touch(hint);
        return hint;
    }
}
