package dev.inbox.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.GatewayProcess;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** SIGTERM to a real gateway process, observed from outside over real sockets. */
class DrainIT {
    private static final long DELAY_MS = 1000;
    private static final long WINDOW_MS = 1500;
    private static final long DEADLINE_MS = 8000;

    private final HttpClient http = HttpClient.newHttpClient();
    private Process process;

    @AfterEach
    void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }

    private int status(int adminPort, String path) {
        try {
            return http.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                                    .timeout(WsClient.WAIT)
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    private int put(int adminPort, String path, String body) throws IOException, InterruptedException {
        return http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                                .header("Authorization", "Bearer dev-api-key")
                                .PUT(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    @Test
    void sigtermDrainsReadinessFirstThenSpreadsClosesFlushesAndExitsZero() throws Exception {
        GatewayProcess node = GatewayProcess.started(
                "drain",
                List.of("-Dio.netty.leakDetection.level=paranoid"),
                GatewayProcess.onLoopback(
                        "--dev",
                        "--drain-delay",
                        DELAY_MS + "ms",
                        "--drain-window",
                        WINDOW_MS + "ms",
                        "--drain-deadline",
                        DEADLINE_MS + "ms",
                        "--rate-limit",
                        "1000",
                        "--rate-burst",
                        "1000"),
                http,
                "dev-api-key");
        process = node.process();
        int port = node.port();
        int admin = node.adminPort();

        int users = 12;
        StringBuilder ids = new StringBuilder();
        for (int u = 1; u <= users; u++) {
            ids.append(u == 1 ? "" : ",").append(u);
        }
        assertEquals(200, put(admin, "/api/conversations/1/members", "{\"user_ids\":[" + ids + "]}"));
        List<WsClient> clients = new ArrayList<>();
        for (int u = 1; u <= users; u++) {
            clients.add(WsClient.connect(
                    http, URI.create("ws://127.0.0.1:" + port + "/ws/inbox/?user_id=" + u), Map.of(), List.of()));
        }
        int burst = 50;
        for (int i = 0; i < burst; i++) {
            clients.get(0).send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"m" + i + "\"}");
        }
        for (int i = 0; i < burst; i++) {
            clients.get(0).next(); // every message admitted; other members' copies may still be queued
        }

        long signalled = System.nanoTime();
        process.destroy(); // SIGTERM
        final int adminPort = admin;
        GatewayFixture.await("readiness fails at once", () -> status(adminPort, "/readyz") == 503);
        assertTrue(
                System.nanoTime() - signalled < TimeUnit.MILLISECONDS.toNanos(DELAY_MS),
                "readiness flips before upgrades are refused and before any close");

        final int publicPort = port;
        GatewayFixture.await(
                "a first connection is closed", () -> clients.stream().anyMatch(WsClient::isClosedByServer));
        WsClient.Refused refused = org.junit.jupiter.api.Assertions.assertThrows(
                WsClient.Refused.class,
                () -> WsClient.connect(
                        http,
                        URI.create("ws://127.0.0.1:" + publicPort + "/ws/inbox/?user_id=99"),
                        Map.of(),
                        List.of()));
        assertEquals(503, refused.status(), "past the delay, new upgrades are refused");

        long first = Long.MAX_VALUE;
        long last = 0;
        for (int c = 0; c < users; c++) {
            WsClient client = clients.get(c);
            for (int i = c == 0 ? burst : 0; i < burst; i++) {
                assertEquals("m" + i, client.nextJson().get("message"), "nothing queued is dropped");
            }
            assertEquals(1001, client.awaitClose(), "going away: reconnect elsewhere");
            first = Math.min(first, client.closedAtNanos());
            last = Math.max(last, client.closedAtNanos());
        }
        long firstMs = TimeUnit.NANOSECONDS.toMillis(first - signalled);
        long spreadMs = TimeUnit.NANOSECONDS.toMillis(last - first);
        assertTrue(firstMs >= DELAY_MS - 100, "no close before the drain delay: first after " + firstMs + " ms");
        assertTrue(spreadMs >= WINDOW_MS / 3, "closes spread over the window, not all at once: " + spreadMs + " ms");
        assertTrue(process.waitFor(DEADLINE_MS + 2000, TimeUnit.MILLISECONDS), "exits by its deadline");
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
        assertEquals(0, process.exitValue(), "a drained node exits 0");
        assertTrue(elapsedMs < DEADLINE_MS + 500, "exited after " + elapsedMs + " ms");
    }
}
