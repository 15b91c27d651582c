package dev.inbox.gateway.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.ExternalProgram;
import dev.inbox.testkit.GatewayProcess;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The page through the deployment's path: a real HAProxy (PROXY v2, leastconn, health checks on /readyz, as in
 * deploy/haproxy) in front of two gateway processes and a real Redis. Ann's page is on node A, Bob on node B; Bob
 * keeps writing while A drains (SIGTERM: 1001); Ann's client reconnects through HAProxy to B and resumes, and her
 * page ends up with every one of Bob's messages exactly once, in order.
 */
class HaproxyDrainBrowserIT {
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Process> processes = new ArrayList<>();
    private RedisServer redis;
    private Path dir;
    private DemoPage ann;
    private WsClient bob;

    @AfterEach
    void stop() throws IOException {
        if (ann != null) {
            ann.close();
        }
        if (bob != null) {
            bob.close();
        }
        for (Process p : processes) {
            p.destroyForcibly();
        }
        if (redis != null) {
            redis.close();
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private GatewayProcess node(String name) throws IOException {
        GatewayProcess node = GatewayProcess.started(
                name,
                List.of(),
                GatewayProcess.onLoopback(
                        "--dev",
                        "--redis",
                        redis.uri(),
                        "--proxy-protocol",
                        "true",
                        "--drain-delay",
                        "1s",
                        "--drain-window",
                        "1s",
                        "--drain-deadline",
                        "6s",
                        // Bob writes as fast as his acknowledgements come back, past the default 20 a second.
                        "--rate-limit",
                        "100000",
                        "--rate-burst",
                        "100000"),
                http,
                "dev-api-key");
        processes.add(node.process());
        return node;
    }

    private int get(int port, String path) {
        try {
            return http.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                    .timeout(WsClient.WAIT)
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    private static double connections(GatewayProcess node) {
        return node.metrics().value("inbox_connections");
    }

    private int haproxy(GatewayProcess a, GatewayProcess b) throws IOException {
        dir = Files.createTempDirectory("inbox-haproxy-browser-");
        int front = RedisServer.freePort();
        String cfg = String.join(
                "\n",
                "global",
                "    maxconn 1000",
                "defaults",
                "    mode http",
                "    timeout connect 2s",
                "    timeout client 30s",
                "    timeout server 30s",
                "    timeout tunnel 5m",
                "frontend inbox",
                "    bind 127.0.0.1:" + front,
                "    default_backend nodes",
                "backend nodes",
                "    balance leastconn",
                "    option httpchk GET /readyz",
                "    http-check expect status 200",
                "    server a 127.0.0.1:" + a.port() + " check port " + a.adminPort()
                        + " inter 200ms fall 2 rise 2 send-proxy-v2",
                "    server b 127.0.0.1:" + b.port() + " check port " + b.adminPort()
                        + " inter 200ms fall 2 rise 2 send-proxy-v2",
                "");
        Path cfgFile = Files.writeString(dir.resolve("haproxy.cfg"), cfg);
        processes.add(new ProcessBuilder(
                        ExternalProgram.require("haproxy", "haproxy").toString(), "-db", "-f", cfgFile.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("haproxy.log").toFile())
                .start());
        GatewayFixture.await("haproxy answers", () -> get(front, "/ws/inbox/") == 426);
        return front;
    }

    /** Bob sends one message and waits for its acknowledgement (his client_msg_id), skipping Ann's deliveries. */
    private void bobSends(String text) {
        bob.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"" + text + "\",\"client_msg_id\":\"" + text
                + "\"}");
        while (true) {
            Map<String, Object> f = bob.nextJson();
            if (text.equals(f.get("client_msg_id"))) {
                assertEquals("TEXT", f.get("type"), f::toString);
                return;
            }
        }
    }

    @Test
    void aDrainedNodesPageReconnectsThroughHaproxyAndResumesMissingNothing() throws Exception {
        redis = RedisServer.start();
        GatewayProcess a = node("page-drain-a");
        GatewayProcess b = node("page-drain-b");
        a.members(1, List.of(1L, 2L));
        int front = haproxy(a, b);

        ann = DemoPage.ann(front).awaitState("connected");
        ann.openConversation(1);
        ann.chromium.script(
                "window.texts = []; inbox.on('frame', f => { if (f.type === 'TEXT') texts.push(f.message); });"
                        + "window.resumes = []; inbox.on('resumed', r => resumes.push(r));"
                        + "window.reloads = []; inbox.on('reload', r => reloads.push(r));");
        GatewayProcess annNode = connections(a) == 1 ? a : b;
        GatewayProcess other = annNode == a ? b : a;
        assertEquals(1, connections(annNode), "Ann's page is on one node");
        bob = WsClient.connect(
                http, URI.create("ws://127.0.0.1:" + front + "/ws/inbox/?user_id=2&name=Bob"), Map.of(), List.of());
        GatewayFixture.await("leastconn puts Bob on the other node", () -> connections(other) == 1);

        List<String> sent = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            sent.add("before " + i);
            bobSends("before " + i);
        }
        annNode.process().destroy(); // SIGTERM: drain, 1001 to Ann
        ann.awaitState("reconnecting");
        // Bob keeps writing while Ann is away, until her page is back (through HAProxy, on Bob's node).
        int during = 0;
        while (!ann.state().equals("connected")) {
            assertTrue(during < 5000, "Ann's page did not come back");
            sent.add("during " + ++during);
            bobSends("during " + during);
        }
        for (int i = 1; i <= 5; i++) {
            sent.add("after " + i);
            bobSends("after " + i);
        }
        assertTrue(annNode.process().waitFor(8, TimeUnit.SECONDS), "the drained node exits by its deadline");
        assertEquals(2, connections(other), "Ann is now on the surviving node");
        assertTrue(during > 0, "some messages were sent while Ann was away");

        ann.chromium.await(
                "every message reaches the page",
                Duration.ofSeconds(15),
                d -> ann.chromium.<Number>script("return texts.length").intValue() >= sent.size());
        assertEquals(sent, ann.chromium.script("return texts"), "each once, in order");
        assertEquals(sent, ann.messages());
        // Not luck: what Bob sent while Ann was away came back through the recovery protocol.
        List<Map<String, Object>> resumes = ann.chromium.script("return resumes");
        assertTrue(resumes.stream().allMatch(r -> Boolean.TRUE.equals(r.get("recovered"))), resumes::toString);
        assertTrue(
                resumes.stream()
                                .mapToLong(r -> ((Number) r.get("replayed")).longValue())
                                .sum()
                        > 0,
                resumes::toString);
        assertEquals(List.of(), ann.chromium.script("return reloads"));
        assertEquals(1001L, ((Number) ann.clientState().get("lastCloseCode")).longValue());
        // Two, or more if HAProxy still sent a reconnection to A in its last second before refusing upgrades.
        assertTrue(ann.socketsOpened() >= 2);
    }
}
