package dev.inbox.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The meters as a scraper sees them: over HTTP, in Prometheus text, moving with a scripted scenario. */
class MetricsIT {
    private GatewayFixture gw;

    @BeforeEach
    void start() {
        gw = GatewayFixture.start();
    }

    @AfterEach
    void stop() {
        gw.close();
    }

    private String scrape(String accept) {
        HttpRequest.Builder b = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + gw.server().adminPort() + "/metrics"))
                .timeout(WsClient.WAIT);
        if (accept != null) {
            b.header("Accept", accept);
        }
        try {
            HttpResponse<String> r = gw.http().send(b.build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), "no API key needed, like the health endpoints");
            return r.body();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The value of one sample, e.g. {@code inbox_errors_sent_total{code="bad_json"}}; 0 when absent. */
    private static double value(String text, String sample) {
        Matcher m = Pattern.compile("^" + Pattern.quote(sample) + " ([0-9.eE+-]+)$", Pattern.MULTILINE)
                .matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void metersMoveWithAScriptedScenario() {
        String before = scrape(null);
        gw.members(1, 1, 2);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);
        gw.refused("/ws/inbox/", Map.of(), List.of()); // 401
        gw.refused("/elsewhere", Map.of("Authorization", "Bearer " + gw.token(1)), List.of()); // 404

        ann.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"hi\"}");
        ann.next();
        bob.next();
        ann.send("{not json");
        assertEquals("bad_json", ann.nextJson().get("code"));
        bob.close();
        GatewayFixture.await("bob's connection is gone", () -> gw.server().connectionCount() == 1);

        String after = scrape(null);
        assertEquals(
                2,
                value(after, "inbox_handshakes_total{outcome=\"ok\"}")
                        - value(before, "inbox_handshakes_total{outcome=\"ok\"}"));
        assertEquals(1, value(after, "inbox_handshakes_total{outcome=\"unauthorized\"}"));
        assertEquals(1, value(after, "inbox_handshakes_total{outcome=\"not_found\"}"));
        assertEquals(2, value(after, "inbox_frames_received_total{type=\"text\"}"));
        assertEquals(1, value(after, "inbox_frames_received_total{type=\"close\"}"));
        assertEquals(1, value(after, "inbox_messages_routed_total{source=\"client\"}"));
        assertEquals(2, value(after, "inbox_deliveries_total{path=\"local\"}"));
        assertEquals(2, value(after, "inbox_delivery_latency_seconds_count{path=\"local\"}"));
        assertEquals(1, value(after, "inbox_fanout_recipients_count"));
        assertEquals(2, value(after, "inbox_fanout_recipients_sum"));
        assertEquals(1, value(after, "inbox_errors_sent_total{code=\"bad_json\"}"));
        assertEquals(1, value(after, "inbox_closes_received_total{code=\"1000\"}"));
        assertEquals(1, value(after, "inbox_closes_sent_total{code=\"1000\"}"), "the echo of the client's close");
        assertEquals(1, value(after, "inbox_connections"));
        assertEquals(1, value(after, "inbox_users"));
        assertTrue(
                after.contains("inbox_delivery_latency_seconds_bucket{path=\"local\",le=\"0.001\"}"),
                "SLO buckets from 1 ms");
    }

    @Test
    void jvmProcessAndNettyAllocatorMetersArePresent() {
        String text = scrape(null);
        for (String name : List.of(
                "jvm_memory_used_bytes",
                "jvm_gc_max_data_size_bytes",
                "jvm_threads_live_threads",
                "process_cpu_usage",
                "process_files_open_files",
                "netty_allocator_memory_used")) {
            assertTrue(text.contains(name), "missing " + name);
        }
    }

    /** The soak run found this meter bound to an allocator nothing used, reading 0 whatever the traffic. */
    @Test
    void allocatorMetersDescribeTheAllocatorTheGatewayAllocatesFrom() {
        gw.members(1, 1, 2);
        WsClient ann = gw.connect(1);
        ann.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"x\"}");
        ann.next();
        Matcher m = Pattern.compile(
                        "^netty_allocator_memory_used\\{allocator_type=\"PooledByteBufAllocator\",id=\"[0-9]+\","
                                + "memory_type=\"direct\"} ([0-9.eE+-]+)$",
                        Pattern.MULTILINE)
                .matcher(scrape(null));
        assertTrue(m.find(), "a direct-memory meter for the pooled allocator");
        assertTrue(Double.parseDouble(m.group(1)) > 0, "the frames just written came from it: " + m.group());
    }

    @Test
    void labelsNeverCarryIdsTokensOrAddresses() {
        gw.members(77777, 55555, 66666);
        WsClient c = gw.connect(55555);
        c.send("{\"type\":\"TEXT\",\"conversation_id\":77777,\"message\":\"x\"}");
        c.next();
        String text = scrape(null);
        assertFalse(
                text.contains("55555")
                        || text.contains("77777")
                        || text.contains("127.0.0.1")
                        || text.contains(gw.token(55555).substring(0, 20)),
                "low-cardinality labels only");
    }

    @Test
    void openMetricsWhenTheScraperAsksForIt() throws IOException, InterruptedException {
        HttpResponse<String> r = gw.http()
                .send(
                        HttpRequest.newBuilder(URI.create(
                                        "http://127.0.0.1:" + gw.server().adminPort() + "/metrics"))
                                .header("Accept", "application/openmetrics-text; version=1.0.0")
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/openmetrics-text"));
        assertTrue(r.body().trim().endsWith("# EOF"), "OpenMetrics ends with # EOF");
    }
}
