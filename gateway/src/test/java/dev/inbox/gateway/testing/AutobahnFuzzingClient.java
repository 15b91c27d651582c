package dev.inbox.gateway.testing;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * The Autobahn|Testsuite's fuzzing client (Autobahn|Testsuite 0.6.4 on AutobahnPython 0.5.6), the one Netty runs in
 * its build: the Python suite ships inside the {@code autobahntestsuite-maven-plugin} jar from Maven Central and runs
 * on Jython ({@code jython-standalone}), so it needs neither Python nor Docker. Maven copies both jars (and
 * {@code json-simple}, which the plugin's runner reads the report with) to {@code target/autobahn-lib}.
 *
 * <p>Why not the plugin's {@code fuzzingclient} goal: the goal builds the server URL itself, {@code ws://<host>:<port>},
 * so every case asks for {@code GET /} with no query; the gateway serves only {@code /ws/inbox/} and wants a
 * credential, so each upgrade got 404, and the fuzzing client then waited forever in case 1.1.1 (tried with 0.1.5,
 * the newest). This calls the runner the goal calls, {@code AutobahnTestSuite.runFuzzingClient}, with the gateway's
 * real URL.
 *
 * <p>Why a class loader of its own, over the platform loader only: Jython resolves a module name against the Java
 * packages its class loader can see before its own library, so with Netty on the class path the top-level package
 * {@code io} hides Python's {@code io} module, and Twisted fails at start with
 * {@code ImportError: cannot import name BytesIO}.
 *
 * <p>The suite writes its report to {@code target/autobahntestsuite-reports} under the working directory (fixed in the
 * plugin): {@code index.json}, which {@link AutobahnReport} reads, and an {@code index.html} with every case's detail.
 */
public final class AutobahnFuzzingClient {
    /** Where the suite writes, relative to the working directory (Maven runs tests in the module's directory). */
    public static final Path REPORT_DIR = Path.of("target", "autobahntestsuite-reports");

    /** What Maven copies to the lib directory, versions stripped. */
    private static final List<String> JARS =
            List.of("autobahntestsuite-maven-plugin.jar", "jython-standalone.jar", "json-simple.jar");

    private AutobahnFuzzingClient() {}

    /**
     * Runs {@code cases} (patterns such as {@code "6.*"}) against {@code url} as {@code agent}, one connection per
     * case, and returns when the report is written. The previous report is deleted first, so a stale one can never
     * be read for this run.
     *
     * @param lib     the directory holding the plugin, Jython and json-simple jars
     * @param timeout the bound on the whole run; past it the run is abandoned and this throws
     */
    public static void run(Path lib, String agent, URI url, List<String> cases, Duration timeout)
            throws IOException, InterruptedException, TimeoutException, ReflectiveOperationException {
        deleteReports();
        List<URL> jars = new ArrayList<>();
        for (String name : JARS) {
            Path jar = lib.resolve(name);
            if (!Files.isRegularFile(jar)) {
                throw new IOException(jar + " is missing: Maven copies it in pre-integration-test (gateway/pom.xml)");
            }
            jars.add(jar.toUri().toURL());
        }
        try (URLClassLoader loader =
                new URLClassLoader("autobahn", jars.toArray(new URL[0]), ClassLoader.getPlatformClassLoader())) {
            Method runner = loader.loadClass("me.normanmaurer.maven.autobahntestsuite.AutobahnTestSuite")
                    .getMethod("runFuzzingClient", String.class, String.class, Map.class, List.class, List.class);
            CompletableFuture<Void> done = new CompletableFuture<>();
            Thread thread = new Thread(
                    () -> {
                        Thread.currentThread().setContextClassLoader(loader);
                        try {
                            // version 18: RFC 6455 (the suite's name for its final draft).
                            runner.invoke(null, agent, url.toString(), Map.of("version", 18), cases, List.of());
                            done.complete(null);
                        } catch (InvocationTargetException e) {
                            done.completeExceptionally(e.getCause());
                        } catch (Throwable e) {
                            done.completeExceptionally(e);
                        }
                    },
                    "autobahn-fuzzingclient");
            thread.setDaemon(true); // a run past its bound must not keep the test JVM alive
            thread.start();
            try {
                done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw new IOException("the fuzzing client failed: " + e.getCause(), e.getCause());
            } catch (TimeoutException e) {
                thread.interrupt();
                throw new TimeoutException("the fuzzing client did not finish within " + timeout
                        + "; the cases done so far are in " + REPORT_DIR.toAbsolutePath() + "/*.json");
            }
        }
    }

    private static void deleteReports() throws IOException {
        if (!Files.isDirectory(REPORT_DIR)) {
            return;
        }
        try (Stream<Path> files = Files.list(REPORT_DIR)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
    }
}
