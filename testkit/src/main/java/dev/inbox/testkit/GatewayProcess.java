package dev.inbox.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One gateway node in a JVM of its own, so its heap, direct memory, threads and descriptors are its own, it can be
 * sent SIGTERM, and it can be measured from outside ({@link NodeProcess}). Its output goes to a log file; the ports
 * come from its {@code listening public=… admin=…} line.
 *
 * <p>What runs: {@code dev.inbox.gateway.server.Main} from the jar named by the system property
 * {@value #JAR_PROPERTY} (the gateway's failsafe configuration sets it to {@code gateway/target/inbox-gateway.jar},
 * the runnable jar {@code package} has just built); without the property, from this JVM's own class path, which
 * holds the gateway's classes in every module whose tests start nodes (gateway, benchmarks) and in an IDE. So the
 * kit needs no dependency on the gateway module.
 */
public final class GatewayProcess implements AutoCloseable {
    /** The system property naming the gateway's runnable jar. */
    public static final String JAR_PROPERTY = "inbox.gateway.jar";
    /** The gateway's entry point. */
    public static final String MAIN_CLASS = "dev.inbox.gateway.server.Main";

    /** {@code flags} after the ones every test node takes: both ports picked by the kernel, on loopback only. */
    public static List<String> onLoopback(String... flags) {
        List<String> all = new ArrayList<>(List.of("--port", "0", "--admin-port", "0", "--bind", "127.0.0.1"));
        all.addAll(List.of(flags));
        return all;
    }

    private static final Pattern LISTENING = Pattern.compile("listening public=(\\d+) admin=(\\d+)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final String name;
    private final Process process;
    private final Path log;
    private final HttpClient http;
    private final String apiKey;
    private final int port;
    private final int admin;

    private GatewayProcess(
            String name, Process process, Path log, HttpClient http, String apiKey, int port, int admin) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.http = http;
        this.apiKey = apiKey;
        this.port = port;
        this.admin = admin;
    }

    /**
     * Starts a node with {@code jvmArgs} and {@code flags} (which should include {@code --port 0 --admin-port 0});
     * completes once it has logged its ports, or exceptionally (the process killed) after a minute or when it exits
     * first. The admin API is called with {@code apiKey} (the {@code --api-key} in {@code flags}, or the dev key).
     *
     * @param log where its output goes; null for a temporary file
     */
    public static CompletableFuture<GatewayProcess> start(
            String name, Path log, List<String> jvmArgs, List<String> flags, HttpClient http, String apiKey)
            throws IOException {
        Path logFile = log;
        if (logFile == null) {
            logFile = Files.createTempFile("inbox-gateway-" + name + "-", ".log");
            logFile.toFile().deleteOnExit();
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", classPath(), MAIN_CLASS));
        cmd.addAll(flags);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<int[]> ports = new CompletableFuture<>();
        Path out = logFile;
        Thread copier = new Thread(() -> copy(p, out, ports), "gateway-log-" + name);
        copier.setDaemon(true);
        copier.start();
        return ports.orTimeout(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                .whenComplete((x, failure) -> {
                    if (failure != null) {
                        p.destroyForcibly();
                    }
                })
                .thenApply(pp -> new GatewayProcess(name, p, out, http, apiKey, pp[0], pp[1]));
    }

    /** {@link #start} and wait for it: a started node, or an {@link AssertionError} quoting its log. */
    public static GatewayProcess started(
            String name, List<String> jvmArgs, List<String> flags, HttpClient http, String apiKey) throws IOException {
        return await(
                start(name, null, jvmArgs, flags, http, apiKey),
                START_TIMEOUT.plusSeconds(5),
                "gateway process " + name + " to start");
    }

    /** The jar of {@value #JAR_PROPERTY}, checked, or this JVM's class path. */
    static String classPath() {
        String jar = System.getProperty(JAR_PROPERTY);
        if (jar == null || jar.isBlank()) {
            return System.getProperty("java.class.path");
        }
        if (!Files.isRegularFile(Path.of(jar))) {
            throw new AssertionError(JAR_PROPERTY + "=" + jar + " does not exist: build it first (mvn -pl gateway -am"
                    + " package), or unset the property to run the gateway from the test class path");
        }
        return jar;
    }

    /** Copies the process's output to its log, completing {@code ports} at the listening line. */
    private static void copy(Process p, Path log, CompletableFuture<int[]> ports) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                Writer out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            for (String line; (line = in.readLine()) != null; ) {
                out.write(line);
                out.write('\n');
                out.flush(); // tests read the log while the node runs (the soak's leak reports, the probe's close)
                Matcher m = LISTENING.matcher(line);
                if (!ports.isDone() && m.find()) {
                    ports.complete(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
                }
            }
        } catch (IOException e) {
            ports.completeExceptionally(e);
        }
        if (!ports.isDone()) {
            String text;
            try {
                text = Files.readString(log, StandardCharsets.UTF_8);
            } catch (IOException e) {
                text = "(unreadable: " + e + ")";
            }
            ports.completeExceptionally(
                    new AssertionError("the gateway exited before listening; " + log + ":\n" + text));
        }
    }

    public String name() {
        return name;
    }

    /** The process itself: for its exit code, or a signal of the test's own. */
    public Process process() {
        return process;
    }

    public long pid() {
        return process.pid();
    }

    public int port() {
        return port;
    }

    public int adminPort() {
        return admin;
    }

    /** The public inbox endpoint, {@code ws://127.0.0.1:<port>/ws/inbox/}. */
    public URI ws() {
        return URI.create("ws://127.0.0.1:" + port + "/ws/inbox/");
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Calls the admin API with the API key; returns the response, or throws with the method and path. */
    public HttpResponse<String> admin(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + path))
                .timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + apiKey)
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(name + ": " + method + " " + path + " failed", e);
        }
    }

    /** Sets a conversation's members. */
    public void members(long conversation, List<Long> users) {
        StringBuilder b = new StringBuilder("{\"user_ids\":[");
        for (int i = 0; i < users.size(); i++) {
            b.append(i == 0 ? "" : ",").append(users.get(i));
        }
        HttpResponse<String> r = admin(
                "PUT",
                "/api/conversations/" + conversation + "/members",
                b.append("]}").toString());
        if (r.statusCode() != 200) {
            throw new AssertionError(
                    name + ": members of " + conversation + ": HTTP " + r.statusCode() + " " + r.body());
        }
    }

    public PrometheusText metrics() {
        return new PrometheusText(admin("GET", "/metrics", null).body());
    }

    /** {@code GET /readyz}'s status, or -1 when the node does not answer. */
    public int readyz() {
        try {
            return admin("GET", "/readyz", null).statusCode();
        } catch (AssertionError e) {
            return -1;
        }
    }

    /** Lines of the log containing {@code marker} (such as Netty's {@code LEAK:}), up to {@code most}. */
    public List<String> logLines(String marker, int most) throws IOException {
        List<String> found = new ArrayList<>();
        try (var lines = Files.lines(log, StandardCharsets.UTF_8)) {
            lines.filter(l -> l.contains(marker)).limit(most).forEach(found::add);
        }
        return found;
    }

    /** Stops the node with SIGTERM (it drains an empty node at once), then kills it if it lingers. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for {@code future}, failing with {@code what} after {@code timeout}. */
    public static <T> T await(CompletableFuture<T> future, Duration timeout, String what) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError(what + " failed", e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError(what + " did not complete within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(what + " interrupted", e);
        }
    }
}
