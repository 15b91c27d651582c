package dev.inbox.gateway.soak;

import dev.inbox.gateway.server.Main;
import dev.inbox.gateway.testing.GatewayFixture;

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
 * One gateway node in a JVM of its own ({@code Main} on the test classpath, as {@code HaproxyDrainIT} starts it), so
 * its heap, direct memory, threads and descriptors are its own and can be measured from outside. Its output goes to
 * a log file; the ports come from its {@code listening public=… admin=…} line.
 */
final class GatewayProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening public=(\\d+) admin=(\\d+)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    final String name;
    private final Process process;
    private final Path log;
    private final HttpClient http;
    private final int port;
    private final int admin;

    private GatewayProcess(String name, Process process, Path log, HttpClient http, int port, int admin) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.http = http;
        this.port = port;
        this.admin = admin;
    }

    /**
     * Starts {@code Main} with {@code jvmArgs} and {@code flags}; returns once it has logged its ports. The admin
     * API is called with {@link GatewayFixture#API_KEY}, which {@code flags} must set.
     */
    static CompletableFuture<GatewayProcess> start(String name, Path log, List<String> jvmArgs, List<String> flags,
                                                   HttpClient http) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(flags);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<int[]> ports = new CompletableFuture<>();
        Thread copier = new Thread(() -> copy(p, log, ports), "soak-log-" + name);
        copier.setDaemon(true);
        copier.start();
        return ports.orTimeout(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                .whenComplete((x, failure) -> {
                    if (failure != null) {
                        p.destroyForcibly();
                    }
                })
                .thenApply(pp -> new GatewayProcess(name, p, log, http, pp[0], pp[1]));
    }

    /** Copies the process's output to its log, completing {@code ports} at the listening line. */
    private static void copy(Process p, Path log, CompletableFuture<int[]> ports) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             Writer out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            for (String line; (line = in.readLine()) != null; ) {
                out.write(line);
                out.write('\n');
                out.flush(); // the soak reads the log while the node runs (its leak reports, the probe's close)
                Matcher m = LISTENING.matcher(line);
                if (!ports.isDone() && m.find()) {
                    ports.complete(new int[]{Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
                }
            }
        } catch (IOException e) {
            ports.completeExceptionally(e);
        }
        ports.completeExceptionally(new AssertionError("the gateway exited before listening; see " + log));
    }

    long pid() {
        return process.pid();
    }

    /** CPU time the process has used so far, user and system, from {@code /proc/<pid>/stat}. */
    double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime; USER_HZ is 100 on Linux
        } catch (IOException e) {
            throw new AssertionError(name + ": cannot read its CPU time", e);
        }
    }

    URI ws() {
        return URI.create("ws://127.0.0.1:" + port + "/ws/inbox/");
    }

    Path log() {
        return log;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Calls the admin API; returns the response, or throws with the method and path. */
    HttpResponse<String> admin(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + path))
                .timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + GatewayFixture.API_KEY)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(name + ": " + method + " " + path + " failed", e);
        }
    }

    /** Sets a conversation's members. */
    void members(long conversation, List<Long> users) {
        StringBuilder b = new StringBuilder("{\"user_ids\":[");
        for (int i = 0; i < users.size(); i++) {
            b.append(i == 0 ? "" : ",").append(users.get(i));
        }
        HttpResponse<String> r = admin("PUT", "/api/conversations/" + conversation + "/members",
                b.append("]}").toString());
        if (r.statusCode() != 200) {
            throw new AssertionError(name + ": members of " + conversation + ": HTTP " + r.statusCode() + " "
                    + r.body());
        }
    }

    MetricsText metrics() {
        return new MetricsText(admin("GET", "/metrics", null).body());
    }

    /** {@code GET /readyz}'s status, or -1 when the node does not answer. */
    int readyz() {
        try {
            return admin("GET", "/readyz", null).statusCode();
        } catch (AssertionError e) {
            return -1;
        }
    }

    /** Runs a full GC in the node ({@code jcmd <pid> GC.run}), then measures it. */
    NodeResources measureAfterGc() {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), "GC.run")
                    .redirectErrorStream(true).start();
            String out = new String(gc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!gc.waitFor(60, TimeUnit.SECONDS) || gc.exitValue() != 0) {
                throw new AssertionError(name + ": jcmd GC.run failed: " + out);
            }
            return NodeResources.read(pid(), metrics());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(name + ": cannot measure", e);
        }
    }

    /** Lines of the log containing {@code marker} (such as Netty's {@code LEAK:}), up to {@code most}. */
    List<String> logLines(String marker, int most) throws IOException {
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
    static <T> T await(CompletableFuture<T> future, Duration timeout, String what) {
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
