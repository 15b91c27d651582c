package dev.inbox.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.Await;
import dev.inbox.testkit.BackendStub;
import dev.inbox.testkit.BackendStub.Answer;
import dev.inbox.testkit.BackendStub.RecordedRequest;
import dev.inbox.testkit.GatewayProcess;
import dev.inbox.testkit.Json;
import dev.inbox.testkit.LeakDetectionExtension;
import dev.inbox.testkit.PrometheusText;
import dev.inbox.testkit.RawHttp;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.Tokens;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The connect hook over real sockets: the JDK's WebSocket and HTTP clients against a node whose only way to sign users
 * in is the backend (no token key, no dev mode), and the kit's stub backend, which records what the gateway asked and
 * answers what each test says.
 */
class ConnectHookIT {
    private static final String HOOK_SECRET = "hook-secret-0123456789-abcdefghijklmn";
    private static final String COOKIE = "sessionid=abc";
    private static final String AUTHORIZATION = "Token drf-token-123";
    private static final String SAM = "{\"user_id\":42,\"name\":\"Sam\",\"picture\":\"https://pics.example/sam.png\"}";

    private BackendStub backend;
    private GatewayFixture gw;

    @AfterEach
    void stop() {
        if (gw != null) {
            gw.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    /** The stub backend answering every call with {@code answer}. */
    private BackendStub backend(Function<RecordedRequest, Answer> answer) throws IOException {
        backend = BackendStub.start(HOOK_SECRET, answer);
        return backend;
    }

    /** A node with the connect hook and no token key, outside dev mode; {@code flags} add to that. */
    private GatewayFixture node(String... flags) {
        List<String> args = new ArrayList<>(List.of(
                "--jwt-secret=", "--connect-hook", backend.url("/connect").toString(), "--hook-secret", HOOK_SECRET));
        args.addAll(Arrays.asList(flags));
        gw = GatewayFixture.start(args.toArray(new String[0]));
        return gw;
    }

    private WsClient.Refused refusedWithCookie() {
        return gw.refused("/ws/inbox/", Map.of("Cookie", COOKIE), List.of());
    }

    private double hookCalls(String outcome) {
        return metrics()
                .sum("inbox_hook_calls_total", new String[] {"hook=\"connect\"", "outcome=\"" + outcome + "\""});
    }

    private double handshakes(String outcome) {
        return metrics().sum("inbox_handshakes_total", "outcome=\"" + outcome + "\"");
    }

    private PrometheusText metrics() {
        return new PrometheusText(gw.admin("GET", "/metrics", null).body());
    }

    private static String upgradeRequest(String extraHeaders) {
        return "GET /ws/inbox/ HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders
                + "\r\n";
    }

    /** A message {@code client} sends to conversation 1 comes back with {@code user} as its sender. */
    private void assertSendsAs(WsClient client, long user, String name) {
        gw.members(1, user);
        client.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"hi\"}");
        Map<String, Object> event = client.nextJson();
        assertEquals(user, event.get("sender_id"), event::toString);
        assertEquals(name, event.get("sender_name"), event::toString);
    }

    @Test
    void aSessionCookieAloneSignsInTheUserTheBackendNames() throws IOException {
        backend(r -> Answer.json(200, SAM));
        node();
        WsClient client = gw.connect(Map.of("Cookie", COOKIE, "Authorization", AUTHORIZATION));

        gw.members(1, 42);
        client.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"hi\"}");
        Map<String, Object> event = client.nextJson();
        assertEquals(42L, event.get("sender_id"));
        assertEquals("Sam", event.get("sender_name"));
        assertEquals("https://pics.example/sam.png", event.get("sender_avatar"));

        List<RecordedRequest> calls = backend.requests();
        assertEquals(1, calls.size());
        RecordedRequest call = calls.get(0);
        assertEquals("POST", call.method);
        assertEquals("/connect", call.path);
        assertEquals(COOKIE, call.header("Cookie"));
        assertEquals(AUTHORIZATION, call.header("Authorization"));
        assertEquals("application/json", call.header("Content-Type"));
        assertTrue(call.signatureValid, "the request is signed with the hook secret: " + call.headers);
        Map<String, Object> body = Json.parse(call.text());
        assertEquals("127.0.0.1", body.get("client_address"));
        assertEquals("/ws/inbox/", body.get("path"));
        assertTrue(body.containsKey("origin") && body.get("origin") == null, body::toString);
        assertTrue(body.containsKey("user_agent"), body::toString);
        assertEquals(1.0, hookCalls("ok"));
        assertEquals(1.0, handshakes("ok"));
    }

    @Test
    void theBackendsOriginAndUserAgentAreForwardedAndAForbiddenOriginNeverReachesIt() throws IOException {
        backend(r -> Answer.json(200, SAM));
        node("--allowed-origins", "https://app.example.com");
        assertEquals(
                403,
                gw.refused("/ws/inbox/", Map.of("Cookie", COOKIE, "Origin", "https://evil.example"), List.of())
                        .status());
        assertEquals(List.of(), backend.requests(), "a forbidden origin costs the backend nothing");

        gw.connect(Map.of("Cookie", COOKIE, "Origin", "https://app.example.com", "User-Agent", "Browser/1.0"));
        Map<String, Object> body = Json.parse(backend.requests().get(0).text());
        assertEquals("https://app.example.com", body.get("origin"));
        assertEquals("Browser/1.0", body.get("user_agent"));
    }

    @Test
    void theBackends401And403AreTheUpgradesStatus() throws IOException {
        backend(r -> Answer.json(401, "{\"detail\":\"not logged in\"}"));
        node();
        WsClient.Refused unauthorized = refusedWithCookie();
        assertEquals(401, unauthorized.status());
        assertEquals("unauthorized", Json.parse(unauthorized.body()).get("error"));

        backend.answer(r -> Answer.status(403));
        WsClient.Refused forbidden = refusedWithCookie();
        assertEquals(403, forbidden.status());
        assertEquals("forbidden", Json.parse(forbidden.body()).get("error"));

        assertEquals(2.0, hookCalls("refused"));
        assertEquals(1.0, handshakes("unauthorized"));
        assertEquals(1.0, handshakes("forbidden"));
    }

    @Test
    void aFailingOrUnreadableBackendIs503() throws IOException {
        backend(r -> Answer.status(500));
        node();
        List<Answer> failures = List.of(
                Answer.status(500),
                Answer.json(502, "{}"),
                Answer.status(404),
                Answer.drop(),
                Answer.status(204),
                Answer.json(200, "not json"),
                Answer.json(200, "{\"user_id\":\"42\"}"),
                Answer.json(200, "{\"name\":\"Sam\"}"),
                Answer.json(200, "{\"user_id\":0}"),
                Answer.json(200, "{\"user_id\":42,\"name\":\"" + "x".repeat(70 * 1024) + "\"}"));
        for (Answer failure : failures) {
            backend.answer(r -> failure);
            WsClient.Refused r = refusedWithCookie();
            assertEquals(503, r.status(), () -> "answer " + failure);
            assertEquals("backend_unavailable", Json.parse(r.body()).get("error"));
        }
        assertEquals(failures.size(), backend.requests().size());
        assertEquals(failures.size(), handshakes("backend_unavailable"));
        assertEquals(6.0, hookCalls("malformed"), "204, bad JSON, wrong type, no user_id, bad id, over 64 KiB");
        assertEquals(2.0, hookCalls("failed"), "500, 502");
        assertEquals(1.0, hookCalls("refused"), "a 404 is a broken hook, not a refusal: 503 too");
        assertEquals(1.0, hookCalls("unreachable"), "a connection closed without an answer");
    }

    @Test
    void aBackendSlowerThanTheHookTimeoutIs503() throws IOException {
        backend(r -> Answer.json(200, SAM).delayed(Duration.ofSeconds(5)));
        node("--hook-timeout", "300ms");
        assertEquals(503, refusedWithCookie().status());
        assertEquals(1.0, hookCalls("timeout"));
    }

    @Test
    void anUnreachableBackendAtStartLeavesTheNodeUpNotReadyAnd503() throws IOException {
        int closedPort = RedisServer.freePort();
        gw = GatewayFixture.start(
                "--jwt-secret=",
                "--connect-hook",
                "http://127.0.0.1:" + closedPort + "/connect",
                "--hook-secret",
                HOOK_SECRET);
        var readyz = gw.admin("GET", "/readyz", null, false);
        assertEquals(503, readyz.statusCode());
        assertTrue(readyz.body().contains("connect hook") && readyz.body().contains(":" + closedPort), readyz::body);
        assertEquals(503, refusedWithCookie().status());
        assertEquals(1.0, hookCalls("unreachable"));
    }

    @Test
    void aValidTokenNeverAsksTheBackendAndAnInvalidOneIs401WithoutAsking() throws IOException {
        backend(r -> Answer.json(200, SAM));
        gw = GatewayFixture.start("--connect-hook", backend.url("/connect").toString(), "--hook-secret", HOOK_SECRET);
        assertSendsAs(gw.connect(Map.of("Authorization", "Bearer " + gw.token(5), "Cookie", COOKIE)), 5, "User 5");
        String forged = Tokens.hs256("another-secret-0123456789-abcdefghij", 5, Duration.ofHours(1));
        assertEquals(
                401,
                gw.refused("/ws/inbox/", Map.of("Authorization", "Bearer " + forged, "Cookie", COOKIE), List.of())
                        .status());
        assertEquals(
                401,
                gw.refused("/ws/inbox/?token=not.a.jwt", Map.of("Cookie", COOKIE), List.of())
                        .status());
        assertEquals(List.of(), backend.requests());
    }

    @Test
    void withoutATokenKeyATokenIs401WithoutAskingTheBackend() throws IOException {
        backend(r -> Answer.json(200, SAM));
        node();
        String token = Tokens.hs256(GatewayFixture.SECRET, 5, Duration.ofHours(1));
        assertEquals(
                401,
                gw.refused("/ws/inbox/", Map.of("Authorization", "Bearer " + token, "Cookie", COOKIE), List.of())
                        .status());
        assertEquals(List.of(), backend.requests());
    }

    @Test
    void inDevModeAUserIdSkipsTheBackendAndABareRequestAsksIt() throws IOException {
        backend(r -> Answer.json(200, "{\"user_id\":9,\"name\":\"Nine\"}"));
        node("--dev");
        assertSendsAs(gw.connect("/ws/inbox/?user_id=7&name=Seven", Map.of("Cookie", COOKIE), List.of()), 7, "Seven");
        assertEquals(List.of(), backend.requests());
        WsClient bare = gw.connect(Map.of("Cookie", COOKIE));
        assertEquals(1, backend.requests().size());
        gw.members(2, 9);
        bare.send("{\"type\":\"TEXT\",\"conversation_id\":2,\"message\":\"hi\"}");
        assertEquals(9L, bare.nextJson().get("sender_id"));
    }

    @Test
    void pastTheInFlightBoundTheUpgradeIs503AtOnce() throws IOException {
        CompletableFuture<Void> release = new CompletableFuture<>();
        backend(r -> {
            release.join();
            return Answer.json(200, SAM);
        });
        node("--hook-max-in-flight", "1");
        try (RawHttp first = RawHttp.connect(gw.server().port())) {
            first.write(upgradeRequest("Cookie: " + COOKIE + "\r\n"));
            Await.until("the backend is asked", () -> backend.requests().size() == 1);
            WsClient.Refused second = refusedWithCookie();
            assertEquals(503, second.status());
            assertEquals(1, backend.requests().size(), "the call over the bound is never sent");
            assertEquals(1.0, hookCalls("overloaded"));

            release.complete(null);
            assertEquals(101, first.read().status(), "the call within the bound goes on");
        } finally {
            release.complete(null);
        }
    }

    @Test
    void aClientThatLeavesWhileTheBackendThinksLeavesNothingBehind() throws IOException {
        CompletableFuture<Void> release = new CompletableFuture<>();
        backend(r -> {
            release.join();
            return Answer.json(200, SAM);
        });
        node();
        try (RawHttp client = RawHttp.connect(gw.server().port())) {
            client.write(upgradeRequest("Cookie: " + COOKIE + "\r\n"));
            Await.until("the backend is asked", () -> backend.requests().size() == 1);
        } finally {
            release.complete(null);
        }
        Await.until("the backend's late answer arrives", () -> hookCalls("ok") == 1.0);
        // On NIO the node learns the client has gone only by reading again, after its 101 (one "ok" handshake); on
        // epoll it sees the hang-up while it waits and drops the answer. Either way nothing stays.
        Await.until("no connection is left", () -> gw.server().connectionCount() == 0);
        assertTrue(handshakes("ok") <= 1.0, "upgraded at most once");
        LeakDetectionExtension.assertNoLeaks();
    }

    @Test
    void theHandshakeTimeoutStillAppliesAndALateAnswerIsDropped() throws IOException {
        CompletableFuture<Void> release = new CompletableFuture<>();
        backend(r -> {
            release.join();
            return Answer.json(200, SAM);
        });
        node("--handshake-timeout", "500ms", "--hook-timeout", "10s");
        try (RawHttp client = RawHttp.connect(gw.server().port())) {
            client.write(upgradeRequest("Cookie: " + COOKIE + "\r\n"));
            assertEquals(408, client.read().status());
            assertTrue(client.closedByServer());
        } finally {
            release.complete(null);
        }
        Await.until("the late answer comes", () -> hookCalls("ok") == 1.0);
        assertEquals(0, gw.server().connectionCount());
        assertEquals(0.0, handshakes("ok"));
        LeakDetectionExtension.assertNoLeaks();
    }

    @Test
    void anExpiryInThePastClosesTheConnectionWith4501AtOnce() throws IOException {
        long past = Instant.now().minusSeconds(60).getEpochSecond();
        backend(r -> Answer.json(200, "{\"user_id\":42,\"expires_at\":" + past + "}"));
        node();
        assertEquals(4501, gw.connect(Map.of("Cookie", COOKIE)).awaitClose());
    }

    @Test
    void anExpiryNearClosesTheConnectionWith4501WhenItComes() throws IOException {
        long soon = Instant.now().plusSeconds(4).getEpochSecond();
        backend(r -> Answer.json(200, "{\"user_id\":42,\"name\":\"Sam\",\"expires_at\":" + soon + "}"));
        node();
        WsClient client = gw.connect(Map.of("Cookie", COOKIE));
        assertSendsAs(client, 42, "Sam");
        assertEquals(4501, client.awaitClose());
    }

    /** In a node of its own at DEBUG: every outcome logged, none with the cookie or the Authorization value. */
    @Test
    void theCookieAndAuthorizationAreNeverLogged() throws IOException, WsClient.Refused {
        String cookie = "sessionid=never-logged-cookie-value";
        String authorization = "Token never-logged-authorization-value";
        backend(r -> Answer.json(200, SAM));
        HttpClient http = HttpClient.newHttpClient();
        try (GatewayProcess node = GatewayProcess.started(
                "connect-hook-logs",
                List.of("-DINBOX_LOG_LEVEL=DEBUG"),
                GatewayProcess.onLoopback(
                        "--api-key",
                        GatewayFixture.API_KEY,
                        "--connect-hook",
                        backend.url("/connect").toString(),
                        "--hook-secret",
                        HOOK_SECRET,
                        "--hook-timeout",
                        "300ms"),
                http,
                GatewayFixture.API_KEY)) {
            Map<String, String> headers = Map.of("Cookie", cookie, "Authorization", authorization);
            WsClient.connect(http, node.ws(), headers, List.of()).close();
            for (Answer a : List.of(
                    Answer.status(401),
                    Answer.status(403),
                    Answer.status(500),
                    Answer.json(200, "{\"user_id\":\"x\"}"),
                    Answer.json(200, SAM).delayed(Duration.ofSeconds(2)))) {
                backend.answer(r -> a);
                try {
                    WsClient.connect(http, node.ws(), headers, List.of()).close();
                } catch (WsClient.Refused expected) {
                    // each of these is refused; what matters is the log
                }
            }
            Await.until("the node logs the closed connection", () -> logContains(node, "close user="));
            Await.until("the node logs the last refusal", () -> logContains(node, "did not answer within"));
            String log = Files.readString(node.log(), StandardCharsets.UTF_8);
            assertTrue(log.contains("connect hook"), "the DEBUG log names the hook's failures:\n" + log);
            assertTrue(!log.contains("never-logged"), "a credential reached the log:\n" + log);
            assertEquals(6, backend.requests().size());
        }
    }

    private static boolean logContains(GatewayProcess node, String marker) {
        try {
            return !node.logLines(marker, 1).isEmpty();
        } catch (IOException e) {
            return false;
        }
    }
}
