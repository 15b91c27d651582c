package dev.inbox.benchmarks.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.PrometheusText;
import dev.inbox.testkit.RedisServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The load generator against real gateway nodes started here (in this JVM, on free ports; a real redis-server for
 * the cross-node run), for a few seconds each, so it cannot rot: every delivery is accounted for, and the JSON
 * report agrees with itself and with the node's own delivery counter. The gateway closes a connection that sends an
 * unmasked frame (1002), so a run without closes also shows the client masks.
 */
class LoadGeneratorIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    record Outcome(int exit, String output, JsonNode report) {}

    @Test
    void groupChatsDeliverEveryMessageOnceAndTheReportAddsUp() throws IOException {
        try (GatewayFixture node = GatewayFixture.start("--dev")) {
            Outcome r = run(node, smallGroupsOnThisJvm("--duration", "3s"));
            JsonNode j = r.report();
            assertEquals(LoadGenerator.PASSED, r.exit(), r.output());
            assertTrue(j.get("passed").asBoolean());
            assertEquals(0, j.get("failures").size());
            assertEquals(50, j.at("/connections/established").asLong());
            assertEquals(50, j.at("/connections/handshake_ms/count").asLong());

            // The open-model schedule, exactly: 500 msgs/s over 1 s of warm-up and 3 s measured.
            long sent = j.at("/messages/sent").asLong();
            assertEquals(2000, sent);
            assertEquals(1500, j.at("/messages/sent_measured").asLong());
            assertEquals(sent, j.at("/messages/acknowledged").asLong());
            assertEquals(0, j.at("/messages/refused").asLong());
            assertEquals(0, j.at("/messages/unanswered").asLong());

            // Each message to the 5 connections of its group, its sender's acknowledgement among them.
            JsonNode d = j.get("deliveries");
            assertEquals(sent * 5, d.get("expected").asLong());
            assertEquals(sent * 5, d.get("received").asLong());
            assertEquals(sent * 5, d.get("unique").asLong());
            assertEquals(0, d.get("lost").asLong());
            assertEquals(0, d.get("duplicated").asLong());
            assertEquals(0, d.get("misrouted").asLong());
            assertEquals(0, d.get("gap_seqs").asLong());
            assertEquals(d.get("measured").asLong() / 3.0, d.get("per_second").asDouble(), 1e-6);
            assertTrue(d.get("measured").asLong() > 0);
            assertEquals(1500 * 5, j.at("/latency_ms/count").asLong(), "every message intended in the window, timed");
            assertTrue(j.at("/latency_ms/p50").asDouble() > 0);
            assertTrue(j.at("/latency_ms/max").asDouble()
                    >= j.at("/latency_ms/p99_9").asDouble());

            assertEquals(
                    d.get("received").asLong(),
                    j.at("/gateway/deliveries_metric").asLong(),
                    "the node's own count of frames written");
            assertTrue(j.at("/gateway/cpu_us_per_delivery").asDouble() > 0);
            assertTrue(j.at("/load_generator/cpu_s").asDouble() > 0);
            assertTrue(
                    r.output().contains("deliveries expected 10000, received 10000, lost 0, duplicated 0"), r.output());
            assertTrue(r.output().contains("PASSED"), r.output());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dm", "broadcast"})
    void everyScenarioAccountsForEveryDelivery(String scenario) throws IOException {
        try (GatewayFixture node = GatewayFixture.start()) {
            Outcome r = run(
                    node,
                    "--jwt-secret",
                    GatewayFixture.SECRET,
                    "--scenario",
                    scenario,
                    "--users",
                    "20",
                    "--senders",
                    "3",
                    "--connections-per-user",
                    "2",
                    "--rate",
                    "200",
                    "--warmup",
                    "0s",
                    "--duration",
                    "1s");
            assertEquals(LoadGenerator.PASSED, r.exit(), r.output());
            JsonNode j = r.report();
            long sent = j.at("/messages/sent").asLong();
            assertEquals(200, sent);
            // dm: 2 users x 2 connections; broadcast: 20 users x 2 connections, 3 users x 2 connections sending.
            long perMessage = scenario.equals("dm") ? 4 : 40;
            assertEquals(
                    scenario.equals("dm") ? 40 : 6,
                    j.at("/messages/sending_connections").asLong());
            assertEquals(sent * perMessage, j.at("/deliveries/expected").asLong());
            assertEquals(sent * perMessage, j.at("/deliveries/unique").asLong());
            assertEquals(0, j.at("/deliveries/duplicated").asLong());
        }
    }

    @Test
    void refusedMessagesAreReportedByCodeAndNotCountedAsLoss() throws IOException {
        // 10 msgs/s per connection against a limit of 2/s with a bucket of 20: some get rate_limited, never 20 in a
        // row.
        try (GatewayFixture node = GatewayFixture.start("--rate-limit", "2", "--rate-burst", "20")) {
            Outcome r = run(
                    node,
                    "--jwt-secret",
                    GatewayFixture.SECRET,
                    "--users",
                    "10",
                    "--group-size",
                    "5",
                    "--rate",
                    "100",
                    "--warmup",
                    "0s",
                    "--duration",
                    "3s");
            assertEquals(LoadGenerator.FAILED, r.exit(), r.output());
            JsonNode j = r.report();
            long sent = j.at("/messages/sent").asLong();
            long refused = j.at("/messages/refused_by_code/rate_limited").asLong();
            assertTrue(refused > 0, r.output());
            assertEquals(refused, j.at("/messages/refused").asLong());
            assertEquals(sent - refused, j.at("/messages/acknowledged").asLong());
            assertEquals((sent - refused) * 5, j.at("/deliveries/expected").asLong());
            assertEquals((sent - refused) * 5, j.at("/deliveries/unique").asLong());
            assertEquals(0, j.at("/deliveries/lost").asLong());
            assertEquals(0, j.at("/deliveries/duplicated").asLong());
            assertEquals(0, j.at("/connections/closed_during_run").size());
            assertEquals(1, j.get("failures").size(), j.get("failures").toString());
            assertTrue(j.get("failures").get(0).asText().startsWith(refused + " messages refused by the gateway"));

            Outcome allowed = run(
                    node,
                    "--jwt-secret",
                    GatewayFixture.SECRET,
                    "--users",
                    "10",
                    "--group-size",
                    "5",
                    "--rate",
                    "100",
                    "--warmup",
                    "0s",
                    "--duration",
                    "1s",
                    "--allow-refusals");
            assertEquals(LoadGenerator.PASSED, allowed.exit(), allowed.output());
        }
    }

    @Test
    void refusedConnectionsAreReportedAndSourceAddressesSpreadThePerAddressLimit() throws IOException {
        try (GatewayFixture node = GatewayFixture.start("--max-connections-per-ip", "10")) {
            Outcome refused = run(
                    node,
                    "--jwt-secret",
                    GatewayFixture.SECRET,
                    "--users",
                    "20",
                    "--rate",
                    "100",
                    "--warmup",
                    "0s",
                    "--duration",
                    "1s");
            assertEquals(LoadGenerator.FAILED, refused.exit(), refused.output());
            JsonNode j = refused.report();
            assertEquals(20, j.at("/connections/attempted").asLong());
            assertEquals(10, j.at("/connections/established").asLong());
            assertEquals(10, j.at("/connections/failed/http_429_too_many").asLong(), refused.output());
            assertEquals(0, j.at("/messages/sent").asLong(), "no sending after a failed connection phase");
            GatewayFixture.await(
                    "the node let the first run's connections go",
                    () -> node.server().connectionCount() == 0);

            Outcome spread = run(
                    node,
                    "--jwt-secret",
                    GatewayFixture.SECRET,
                    "--users",
                    "20",
                    "--rate",
                    "100",
                    "--warmup",
                    "0s",
                    "--duration",
                    "1s",
                    "--source-addresses",
                    "127.0.0.1,127.0.0.2");
            assertEquals(LoadGenerator.PASSED, spread.exit(), spread.output());
            assertEquals(20, spread.report().at("/connections/established").asLong());
        }
    }

    @Test
    void usersSpreadOverTwoNodesGetEveryMessageThroughTheRelay() throws IOException {
        try (RedisServer redis = RedisServer.start();
                GatewayFixture a = GatewayFixture.start("--redis", redis.uri()).awaitReady();
                GatewayFixture b = GatewayFixture.start("--redis", redis.uri()).awaitReady()) {
            String nodes = "ws://127.0.0.1:" + a.server().port() + ",ws://127.0.0.1:"
                    + b.server().port();
            String admins = "http://127.0.0.1:" + a.server().adminPort() + ",http://127.0.0.1:"
                    + b.server().adminPort();
            Outcome r = run(List.of(
                    "--nodes",
                    nodes,
                    "--admin",
                    admins,
                    "--api-key",
                    GatewayFixture.API_KEY,
                    "--jwt-secret",
                    GatewayFixture.SECRET,
                    "--users",
                    "20",
                    "--group-size",
                    "4",
                    "--rate",
                    "200",
                    "--warmup",
                    "0s",
                    "--duration",
                    "2s"));
            assertEquals(LoadGenerator.PASSED, r.exit(), r.output());
            JsonNode j = r.report();
            long sent = j.at("/messages/sent").asLong();
            assertEquals(sent * 4, j.at("/deliveries/unique").asLong());
            assertEquals(
                    j.at("/deliveries/received").asLong(),
                    j.at("/gateway/deliveries_metric").asLong());
            // Users alternate nodes, so every group has members on both: half of each message's deliveries relayed.
            for (GatewayFixture node : List.of(a, b)) {
                String metrics = node.admin("GET", "/metrics", null, false).body();
                double relayed = new PrometheusText(metrics).sum("inbox_deliveries_total", "path=\"relayed\"");
                assertTrue(relayed > 0, "relayed deliveries on a node: " + relayed);
            }
        }
    }

    @Test
    void warmingUpUntilTheJitIsQuietMovesTheWindowAndKeepsItsLength() throws IOException {
        try (GatewayFixture node = GatewayFixture.start("--dev")) {
            Outcome r = run(node, smallGroupsOnThisJvm("--warmup-max", "8s", "--duration", "2s"));
            JsonNode j = r.report();
            assertEquals(LoadGenerator.PASSED, r.exit(), r.output());
            double warmup = j.at("/window/warmup_s").asDouble();
            boolean quiet = j.at("/window/jit_quiet").asBoolean();
            assertTrue(warmup >= 1.0 && warmup <= 8.0, r.output());
            // The window began once the JIT had been quiet for 2 s (with a second's notice to the loops), or at the
            // cap.
            assertTrue(quiet || Math.abs(warmup - 8.0) < 0.01, r.output());
            assertTrue(r.output().contains(quiet ? "the nodes' JIT is quiet" : "--warmup-max reached"), r.output());

            // Wherever it begins, the window holds exactly --duration of the schedule, and the warm-up the rest.
            long sent = j.at("/messages/sent").asLong();
            assertEquals(1000, j.at("/messages/sent_measured").asLong(), r.output());
            assertEquals(Math.ceil(warmup * 500 - 1e-6), sent - 1000, 1.0, r.output());
            assertEquals(sent, j.at("/messages/acknowledged").asLong());
            assertEquals(sent * 5, j.at("/deliveries/received").asLong());
            assertEquals(0, j.at("/deliveries/lost").asLong());
            assertTrue(j.at("/gateway/jit_cpu_s").asDouble() >= 0, r.output());
            assertTrue(
                    j.at("/gateway/jit_cpu_s").asDouble()
                            <= j.at("/gateway/cpu_s").asDouble(),
                    r.output());
        }
    }

    /** 50 users in groups of 5 at 500 msgs/s after 1 s of warm-up, the node being this JVM; then {@code more}. */
    private static String[] smallGroupsOnThisJvm(String... more) {
        List<String> args = new ArrayList<>(List.of(
                "--dev",
                "--scenario",
                "group",
                "--users",
                "50",
                "--group-size",
                "5",
                "--rate",
                "500",
                "--warmup",
                "1s",
                "--node-pid",
                Long.toString(ProcessHandle.current().pid())));
        args.addAll(Arrays.asList(more));
        return args.toArray(new String[0]);
    }

    private Outcome run(GatewayFixture node, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of(
                "--nodes",
                "ws://127.0.0.1:" + node.server().port(),
                "--admin",
                "http://127.0.0.1:" + node.server().adminPort(),
                "--api-key",
                GatewayFixture.API_KEY));
        all.addAll(Arrays.asList(args));
        return run(all);
    }

    private Outcome run(List<String> args) throws IOException {
        Path json = Files.createTempFile(dir, "report-", ".json");
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of("--json", json.toString(), "--drain", "10s"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = LoadGenerator.run(
                all.toArray(new String[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        String output = out.toString(StandardCharsets.UTF_8);
        assertTrue(Files.size(json) > 0, "no JSON report written:\n" + output);
        JsonNode report = JSON.readTree(json.toFile());
        assertEquals(exit == LoadGenerator.PASSED, report.get("passed").asBoolean(), output);
        assertFalse(report.get("failures").isMissingNode());
        return new Outcome(exit, output, report);
    }
}
