package dev.inbox.benchmarks.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoadOptionsTest {

    @Test
    void defaultsAreTheDocumentedOnes() throws Exception {
        LoadOptions o = LoadOptions.parse("--dev");
        assertEquals(LoadOptions.Mode.THROUGHPUT, o.mode());
        assertEquals(Scenario.GROUP, o.scenario());
        assertEquals(List.of(URI.create("ws://127.0.0.1:8080/ws/inbox/")), o.nodes());
        assertEquals(List.of(URI.create("http://127.0.0.1:8081")), o.admins());
        assertEquals("dev-api-key", o.apiKey());
        assertTrue(o.dev());
        assertEquals(1000, o.users());
        assertEquals(10, o.groupSize());
        assertEquals(1, o.threads());
        assertEquals(Duration.ofSeconds(5), o.warmup());
        assertEquals(o.warmup(), o.warmupMax(), "no wait for the JIT unless asked");
        assertEquals(Duration.ofSeconds(20), o.duration());
        assertEquals(Duration.ofMillis(1), o.tick());
        assertEquals(1000, o.sendingConnections());
    }

    @Test
    void bothFlagSpellingsAndListsAreRead() throws Exception {
        LoadOptions o = LoadOptions.parse(
                "--jwt-secret=" + "s".repeat(32),
                "--nodes",
                "ws://a:1,ws://b:2/custom",
                "--admin=http://a:3,http://b:4",
                "--scenario",
                "broadcast",
                "--users",
                "50",
                "--senders",
                "3",
                "--connections-per-user",
                "2",
                "--source-addresses",
                "127.0.0.2,127.0.0.3",
                "--node-pid",
                "10,11",
                "--rate",
                "2.5",
                "--warmup",
                "0s",
                "--duration",
                "1.5s",
                "--tick",
                "5ms");
        assertEquals(List.of(URI.create("ws://a:1/ws/inbox/"), URI.create("ws://b:2/custom")), o.nodes());
        assertEquals(2, o.admins().size());
        assertEquals(Scenario.BROADCAST, o.scenario());
        assertEquals(6, o.sendingConnections());
        assertEquals(2, o.sourceAddresses().size());
        assertEquals(List.of(10L, 11L), o.nodePids());
        assertEquals(2.5, o.rate());
        assertEquals(Duration.ofMillis(1500), o.duration());
        assertEquals(Duration.ZERO, o.warmup());
    }

    @Test
    void badInputNamesTheFlagTheValueAndWhatWasExpected() {
        assertBad("--users: 0 (expected: 1 to 10000000)", "--dev", "--users", "0");
        assertBad("--users: 15 (expected: a multiple of --group-size 10)", "--dev", "--users", "15");
        assertBad(
                "--users: 3 (expected: an even number for --scenario dm)", "--dev", "--scenario", "dm", "--users", "3");
        assertBad("--scenario: mesh (expected: dm, group, broadcast or mixed)", "--dev", "--scenario", "mesh");
        assertBad("--rate: -1 (expected: a positive number)", "--dev", "--rate", "-1");
        assertBad("--duration: 20 (expected: a duration such as 500ms, 20s or 2m)", "--dev", "--duration", "20");
        assertBad("--nodes: localhost:8080 (expected: ws://host:port)", "--dev", "--nodes", "localhost:8080");
        assertBad(
                "--admin: http://a:1,http://b:2 (expected: one URL, or one per node (3))",
                "--dev",
                "--nodes",
                "ws://a:1,ws://b:2,ws://c:3",
                "--admin",
                "http://a:1,http://b:2");
        assertBad("authentication: pass exactly one of --dev and --jwt-secret");
        assertBad(
                "authentication: pass exactly one of --dev and --jwt-secret", "--dev", "--jwt-secret", "s".repeat(32));
        assertBad(
                "--jwt-secret: (5 characters) (expected: at least 32 bytes, as the gateway requires)",
                "--jwt-secret",
                "short");
        assertBad("--colour: unknown flag (see --help)", "--dev", "--colour", "red");
        assertBad("--users: missing value (expected: N)", "--dev", "--users");
        assertBad("--dev: takes no value", "--dev=yes");
        assertBad("--users: given twice", "--dev", "--users", "10", "--users", "20");
        assertBad(
                "--source-addresses: localhost (expected: IP address literals)",
                "--dev",
                "--source-addresses",
                "localhost");
        assertBad(
                "--node-pid: required in memory mode (the node is garbage-collected and its RSS read)",
                "--dev",
                "--mode",
                "memory");
        assertBad("users: not a flag (expected --name value; see --help)", "--dev", "users");
        assertBad(
                "--warmup-max: needs --node-pid (the nodes' JIT threads are read from /proc)",
                "--dev",
                "--warmup-max",
                "30s");
        assertBad("--warmup-max: 2s (expected: at least 5000ms)", "--dev", "--node-pid", "1", "--warmup-max", "2s");
    }

    @Test
    void helpListsEveryFlagAndBadFlagsExitWithTwo() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(LoadGenerator.PASSED, LoadGenerator.run(new String[] {"--help"}, print(out), print(err)));
        String help = out.toString(StandardCharsets.UTF_8);
        for (Flag f : Flag.values()) {
            assertTrue(
                    help.contains("--" + f.name + " ")
                            || help.contains("--" + f.name + "\n")
                            || help.contains("--" + f.name + System.lineSeparator()),
                    "--help lacks --" + f.name);
        }
        assertEquals(
                LoadGenerator.BAD_FLAGS,
                LoadGenerator.run(new String[] {"--dev", "--users", "x"}, print(out), print(err)));
        assertTrue(
                err.toString(StandardCharsets.UTF_8).startsWith("inbox-loadgen: --users: x"),
                err.toString(StandardCharsets.UTF_8));
    }

    private static PrintStream print(ByteArrayOutputStream b) {
        return new PrintStream(b, true, StandardCharsets.UTF_8);
    }

    private static void assertBad(String message, String... args) {
        LoadOptions.BadFlag e = assertThrows(LoadOptions.BadFlag.class, () -> LoadOptions.parse(args));
        assertEquals(message, e.getMessage());
    }
}
