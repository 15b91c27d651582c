package dev.inbox.gateway.server;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The whole operational path, end to end: a real HAProxy (PROXY protocol v2, leastconn, health checks on /readyz)
 * in front of two real gateway processes and a real Redis, all on loopback. Clients chat across the nodes through
 * HAProxy; one node gets SIGTERM; its clients are closed with 1001, reconnect through HAProxy to the other node and
 * chat again; the drained process exits 0 within its deadline; the survivor's /metrics shows the traffic.
 */
class HaproxyDrainIT {
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Process> processes = new ArrayList<>();
    private RedisServer redis;
    private Path dir;

    /** A gateway process: its ports once it logs them. */
    private record Node(Process process, int port, int admin) {}

    @AfterEach
    void stop() throws IOException {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        if (redis != null) {
            redis.close();
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }

    private Node node() throws IOException {
        GatewayProcess node = GatewayProcess.started(
                "haproxy-drain",
                List.of(),
                GatewayProcess.onLoopback(
                        "--dev",
                        "--redis",
                        redis.uri(),
                        "--redis-ping-interval",
                        "500ms",
                        "--proxy-protocol",
                        "true",
                        "--drain-delay",
                        "1s",
                        "--drain-window",
                        "1s",
                        "--drain-deadline",
                        "6s"),
                http,
                "dev-api-key");
        processes.add(node.process());
        return new Node(node.process(), node.port(), node.adminPort());
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

    private String metrics(int admin) throws IOException, InterruptedException {
        return http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private static String text(String message) {
        return "{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"" + message + "\"}";
    }

    /** Connects {@code user} through HAProxy, in dev mode, and joins conversation 1 by sending to it. */
    private WsClient connect(int haproxyPort, long user) throws WsClient.Refused {
        return WsClient.connect(
                http, URI.create("ws://127.0.0.1:" + haproxyPort + "/ws/inbox/?user_id=" + user), Map.of(), List.of());
    }

    @Test
    void drainedNodesClientsReconnectThroughHaproxyToTheOtherNode() throws Exception {
        redis = RedisServer.start();
        Node a = node();
        Node b = node();
        dir = Files.createTempDirectory("inbox-haproxy-");
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
                "    server a 127.0.0.1:" + a.port() + " check port " + a.admin()
                        + " inter 200ms fall 2 rise 2 send-proxy-v2",
                "    server b 127.0.0.1:" + b.port() + " check port " + b.admin()
                        + " inter 200ms fall 2 rise 2 send-proxy-v2",
                "");
        Path cfgFile = Files.writeString(dir.resolve("haproxy.cfg"), cfg);
        Process haproxy = new ProcessBuilder(
                        ExternalProgram.require("haproxy", "haproxy").toString(), "-db", "-f", cfgFile.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("haproxy.log").toFile())
                .start();
        processes.add(haproxy);
        assertEquals(200, get(a.admin(), "/readyz"));
        GatewayFixture.await("haproxy answers", () -> get(front, "/ws/inbox/") == 426);

        // Six users through HAProxy: leastconn spreads them over both nodes.
        List<WsClient> clients = new ArrayList<>();
        for (long u = 1; u <= 6; u++) {
            WsClient c = connect(front, u);
            c.send(text("hello from " + u));
            assertEquals("hello from " + u, c.nextJson().get("message"), "joined (dev mode: sending joins)");
            clients.add(c);
        }
        for (int i = 0; i < 6; i++) {
            for (int later = i + 1; later < 6; later++) {
                assertEquals(
                        "hello from " + (later + 1), clients.get(i).nextJson().get("message"));
            }
        }
        clients.get(0).send(text("across nodes"));
        for (WsClient c : clients) {
            assertEquals("across nodes", c.nextJson().get("message"));
        }
        String before = metrics(a.admin());
        assertTrue(before.contains("inbox_connections 3.0"), "leastconn put three on each node");

        long signalled = System.nanoTime();
        a.process().destroy(); // SIGTERM to node A
        assertTrue(a.process().waitFor(8, TimeUnit.SECONDS), "the drained node exits by its deadline");
        long exitedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
        assertEquals(0, a.process().exitValue(), "a drained node exits 0");
        assertTrue(exitedAfterMs < 6500, "exited " + exitedAfterMs + " ms after SIGTERM (deadline 6 s)");
        GatewayFixture.await(
                "node A's clients are closed",
                () -> clients.stream().filter(WsClient::isClosedByServer).count() == 3);
        List<WsClient> moved = new ArrayList<>();
        for (WsClient c : clients) {
            if (c.isClosedByServer()) {
                assertEquals(1001, c.awaitClose(), "drained with going away");
                moved.add(c);
            }
        }

        // They reconnect through HAProxy, which has taken A out: all land on B and chat again.
        List<WsClient> back = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            WsClient c = clients.get(i);
            back.add(moved.contains(c) ? connect(front, i + 1) : c);
        }
        GatewayFixture.await("six connections on node B", () -> {
            try {
                return metrics(b.admin()).contains("inbox_connections 6.0");
            } catch (IOException | InterruptedException e) {
                return false;
            }
        });
        back.get(5).send(text("after the drain"));
        for (WsClient c : back) {
            String m;
            do {
                m = (String) c.nextJson().get("message");
            } while (!"after the drain".equals(m)); // skip what a surviving client was sent meanwhile
        }
        String after = metrics(b.admin());
        assertTrue(after.contains("inbox_messages_routed_total{source=\"client\"}"), after);
        assertTrue(after.contains("inbox_relay_received_total"), "cross-node traffic reached B");
    }
}
