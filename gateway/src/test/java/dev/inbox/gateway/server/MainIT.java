package dev.inbox.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.inbox.testkit.GatewayProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The README's first command, as a newcomer meets it: the packaged jar ({@code target/inbox-gateway.jar}, built in
 * the package phase before failsafe runs) started as a process of its own, read from its output, stopped with real
 * signals ({@code kill}). Issue 12.
 */
class MainIT {
    private static final Path JAR = Path.of("target", "inbox-gateway.jar");
    private static final Pattern LISTENING = Pattern.compile("listening public=(\\d+) admin=(\\d+)");
    private static final Duration START = Duration.ofSeconds(60);
    /** What "exits within a second" and "at once" are held to, from the signal to the process's end. */
    private static final Duration PROMPTLY = Duration.ofSeconds(1);

    private final List<Node> started = new ArrayList<>();

    @AfterEach
    void stopWhatIsLeft() {
        for (Node n : started) {
            n.process.destroyForcibly();
        }
    }

    @Test
    void versionIsTheJarsAndExitsZero() throws Exception {
        Node n = start("--version");
        assertTrue(n.process.waitFor(START.toSeconds(), TimeUnit.SECONDS), "--version did not exit");
        n.reader.join(START.toMillis());
        assertEquals(0, n.process.exitValue(), n.output());
        assertTrue(
                n.output().matches("inbox-gateway \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\n"),
                "the version from the jar's manifest, got: " + n.output());
    }

    @Test
    void devNodeSaysHowToTryItRightAfterListeningWithoutEscapeCodes() throws Exception {
        Node n = start("--dev", "--port", "0", "--admin-port", "0");
        String listening = n.awaitLine(l -> LISTENING.matcher(l).find(), START);
        Matcher m = LISTENING.matcher(listening);
        assertTrue(m.find());
        String url = "ws://localhost:" + m.group(1) + "/ws/inbox/?user_id=1&name=Ann";
        assertEquals(
                "try it: npx wscat -c '" + url + "'",
                n.awaitLine(l -> true, START),
                "the line after listening, with the bound port");
        assertEquals(
                "or open http://localhost:" + m.group(1) + "/ in two tabs",
                n.awaitLine(l -> true, START),
                "then the demo page, on by default in dev mode");
        assertFalse(
                n.output().contains("\u001b"),
                "no terminal escape code in: " + n.output().replace("\u001b", "ESC"));
        // The line is one to act on: its URL takes a dev-mode connection.
        WebSocket ws = HttpClient.newHttpClient()
                .newWebSocketBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create(url), new WebSocket.Listener() {})
                .get(10, TimeUnit.SECONDS);
        ws.abort();
    }

    @Test
    void ctrlCStopsAnIdleDevNodeWithinASecond() throws Exception {
        Node n = start(GatewayProcess.onLoopback("--dev"));
        n.awaitLine(l -> LISTENING.matcher(l).find(), START);
        assumeFalse(n.ignores(2), "SIGINT is ignored in this process tree (started in the background?)");
        n.signal("INT");
        assertTrue(
                n.process.waitFor(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS),
                "still running " + PROMPTLY + " after SIGINT; output:\n" + n.output());
        assertEquals(0, n.process.exitValue(), "a drain ends with 0; output:\n" + n.output());
    }

    @ParameterizedTest(name = "second signal {0}: exit code {1}")
    @CsvSource({"INT, 130", "TERM, 143"})
    void aSecondSignalDuringADrainStopsAtOnce(String second, int exitCode) throws Exception {
        // A drain kept busy: a delay set explicitly (dev mode would have none) and a connection open.
        Node n = start(GatewayProcess.onLoopback(
                "--dev", "--drain-delay", "60s", "--drain-window", "10s", "--drain-deadline", "2m"));
        String listening = n.awaitLine(l -> LISTENING.matcher(l).find(), START);
        Matcher m = LISTENING.matcher(listening);
        assertTrue(m.find());
        if (second.equals("INT")) {
            assumeFalse(n.ignores(2), "SIGINT is ignored in this process tree (started in the background?)");
        }
        WebSocket ws = HttpClient.newHttpClient()
                .newWebSocketBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .buildAsync(
                        URI.create("ws://127.0.0.1:" + m.group(1) + "/ws/inbox/?user_id=1&name=Ann"),
                        new WebSocket.Listener() {})
                .get(10, TimeUnit.SECONDS);
        try {
            n.signal("TERM");
            n.awaitLine(l -> l.contains("draining: not ready"), START);
            assertTrue(n.process.isAlive(), "the first signal drains; output:\n" + n.output());

            n.signal(second);
            assertTrue(
                    n.process.waitFor(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS),
                    "still running " + PROMPTLY + " after a second signal; output:\n" + n.output());
            assertEquals(exitCode, n.process.exitValue(), "128 + SIG" + second + "; output:\n" + n.output());
            n.reader.join(START.toMillis());
            assertTrue(
                    n.output().contains("SIG" + second + " during the drain: stopping now, 1 connections open"),
                    "the drain was cut short with the connection still open; output:\n" + n.output());
        } finally {
            ws.abort();
        }
    }

    /** Starts the jar with {@code args}, its output (both streams) read line by line. */
    private Node start(String... args) throws IOException {
        return start(List.of(args));
    }

    private Node start(List<String> args) throws IOException {
        assertTrue(Files.isRegularFile(JAR), JAR.toAbsolutePath() + " is built by the package phase (mvn verify)");
        List<String> cmd = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
        cmd.addAll(args);
        Node n = new Node(new ProcessBuilder(cmd).redirectErrorStream(true).start());
        started.add(n);
        return n;
    }

    private static final class Node {
        final Process process;
        final Thread reader;
        private final BlockingQueue<String> unread = new LinkedBlockingQueue<>();
        private final StringBuffer output = new StringBuffer();

        Node(Process process) {
            this.process = process;
            this.reader = new Thread(this::read, "main-it-output-" + process.pid());
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    output.append(line).append('\n');
                    unread.add(line);
                }
            } catch (IOException e) {
                output.append("(reading the output failed: ").append(e).append(")\n");
            }
        }

        String output() {
            return output.toString();
        }

        /** The next unread line that {@code wanted} accepts, lines before it consumed; fails after {@code timeout}. */
        String awaitLine(Predicate<String> wanted, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            for (long left; (left = deadline - System.nanoTime()) > 0; ) {
                String line = unread.poll(left, TimeUnit.NANOSECONDS);
                if (line != null && wanted.test(line)) {
                    return line;
                }
            }
            return fail("no such line within " + timeout + "; output:\n" + output());
        }

        /** Sends SIG{@code name} with kill(1) (Process.destroy sends only TERM). */
        void signal(String name) throws IOException, InterruptedException {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                    .redirectErrorStream(true)
                    .start();
            assertTrue(kill.waitFor(10, TimeUnit.SECONDS), "kill did not return");
            assertEquals(0, kill.exitValue(), "kill -" + name);
        }

        /** Whether the process ignores signal {@code number} (inherited across exec: a JVM then never sees it). */
        boolean ignores(int number) throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("SigIgn:")) {
                    return (Long.parseLong(line.substring(7).trim(), 16) & (1L << (number - 1))) != 0;
                }
            }
            return false;
        }
    }
}
