package dev.inbox.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.inbox.gateway.config.ConfigLoader;
import dev.inbox.gateway.testing.AutobahnFuzzingClient;
import dev.inbox.gateway.testing.AutobahnReport;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Autobahn|Testsuite (the WebSocket conformance suite Netty, Jetty and Undertow run) against the gateway's public
 * pipeline: the production {@code InboxServer} and {@code InboxChannelInitializer} (handshake, decoder settings,
 * UTF-8 validation, reassembly, keepalive, control frames and close codes), with only the router-facing endpoint
 * replaced by an {@link EchoEndpoint}, which is what the suite talks to. A dev-mode node, so the client
 * authenticates with {@code ?user_id=}; its limits let the suite's few hundred back-to-back connections and 16 MiB
 * messages (case 9) through.
 *
 * <p>The cases come from {@code -Dautobahn.cases} (the pom: 1-7 and 10; {@code -Pautobahn-slow} adds 9). The run
 * passes when every case has a conforming {@code behavior} and an OK or INFORMATIONAL {@code behaviorClose} in
 * {@code index.json} (see {@link AutobahnReport}), and the suite ran as many cases as it has.
 */
class AutobahnIT {
    private static final String AGENT = "inbox-gateway";

    /** How many cases Autobahn|Testsuite 0.6.4 has in each group the gateway answers for. */
    private static final Map<String, Integer> CASES_PER_GROUP =
            Map.of("1", 16, "2", 11, "3", 7, "4", 10, "5", 20, "6", 145, "7", 37, "9", 54, "10", 1);

    @Test
    void everyCaseConformsInBehaviourAndClose() throws Exception {
        List<String> cases = Arrays.stream(System.getProperty("autobahn.cases", "1.*,2.*,3.*,4.*,5.*,6.*,7.*,10.*")
                        .split(","))
                .map(String::strip)
                .toList();
        Path lib = Path.of(System.getProperty("autobahn.lib", "target/autobahn-lib"));
        boolean slow = cases.contains("9.*");

        try (InboxServer server = InboxServer.start(
                ConfigLoader.load(
                        new String[] {
                            "--dev",
                            "--bind",
                            "127.0.0.1",
                            "--port",
                            "0",
                            "--admin-port",
                            "0",
                            "--max-frame-bytes",
                            "16777216", // case 9.1.6 and 9.2.6 send 16 MiB messages; the setting's maximum
                            "--max-outbound-bytes",
                            "268435456", // echoes of those queue while the (Jython) client reads
                            "--max-handshakes-per-ip",
                            "1000000",
                            "--max-connections-per-ip",
                            "100000",
                            "--max-connections-per-user",
                            "100000",
                            "--rate-limit",
                            "1000000",
                            "--rate-burst",
                            "1000000",
                        },
                        Map.of()),
                new EchoEndpoint())) {
            URI url = URI.create("ws://127.0.0.1:" + server.port() + "/ws/inbox/?user_id=1"); // dev-mode credential
            long start = System.nanoTime();
            AutobahnFuzzingClient.run(lib, AGENT, url, cases, slow ? Duration.ofMinutes(30) : Duration.ofMinutes(10));
            System.out.printf("Autobahn %s: %d s%n", cases, (System.nanoTime() - start) / 1_000_000_000L);
        }

        AutobahnReport report = AutobahnReport.read(AutobahnFuzzingClient.REPORT_DIR.resolve("index.json"), AGENT);
        System.out.println("Autobahn: " + report.summary() + "; report: "
                + AutobahnFuzzingClient.REPORT_DIR.resolve("index.html").toAbsolutePath());
        for (String pattern : cases) {
            // A whole group ("6.*") must have run completely; a narrower pattern (when debugging one case) at all.
            String group = pattern.substring(0, pattern.indexOf('.'));
            Integer ran = report.casesPerGroup().get(group);
            Integer expected = pattern.equals(group + ".*") ? CASES_PER_GROUP.get(group) : ran;
            assertEquals(expected, ran, "cases run of " + pattern);
            assertTrue(ran != null && ran > 0, "no case of " + pattern + " ran");
        }
        List<String> violations = report.violations();
        if (!violations.isEmpty()) {
            fail(violations.size() + " cases do not conform (each case's detail is in index.html):\n  "
                    + String.join("\n  ", violations.subList(0, Math.min(40, violations.size())))
                    + (violations.size() > 40 ? "\n  ..." : ""));
        }
    }
}
