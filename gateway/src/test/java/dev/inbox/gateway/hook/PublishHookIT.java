package dev.inbox.gateway.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.Await;
import dev.inbox.testkit.BackendStub;
import dev.inbox.testkit.BackendStub.Answer;
import dev.inbox.testkit.BackendStub.RecordedRequest;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.Tokens;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The publish hook end to end: a node on real sockets calls a real HTTP backend ({@link BackendStub}), whose answer
 * decides whether anyone sees a message. Users 1 (Ann) and 2 (Bob) share conversation 1 unless a test says otherwise.
 */
class PublishHookIT {
    private static final String HOOK_SECRET = "hook-secret-0123456789-abcdefghijklmnop";
    private static final String UNAVAILABLE = "backend_unavailable";

    private BackendStub stub;
    private final List<GatewayFixture> nodes = new ArrayList<>();
    private final List<BackendStub> stubs = new ArrayList<>();

    @BeforeEach
    void startBackend() {
        stub = backend(0);
    }

    @AfterEach
    void stop() {
        nodes.forEach(GatewayFixture::close);
        for (BackendStub s : stubs) {
            s.close();
            for (RecordedRequest r : s.requests()) {
                assertTrue(r.signatureValid, "every hook request is signed with the documented recipe: " + r);
                assertEquals("POST", r.method);
                assertEquals("/publish", r.path);
            }
        }
    }

    private BackendStub backend(int port) {
        BackendStub s = BackendStub.start(port, HOOK_SECRET);
        stubs.add(s);
        return s;
    }

    /** A node whose publish hook is {@link #stub}, answering within 300 ms; {@code flags} add or override. */
    private GatewayFixture node(String... flags) {
        return unreadyNode(stub.port(), flags).awaitReady();
    }

    private GatewayFixture unreadyNode(int hookPort, String... flags) {
        List<String> args = new ArrayList<>(List.of(
                "--publish-hook",
                "http://127.0.0.1:" + hookPort + "/publish",
                "--hook-secret",
                HOOK_SECRET,
                "--hook-timeout",
                "300ms"));
        args.addAll(List.of(flags));
        GatewayFixture gw = GatewayFixture.start(args.toArray(new String[0]));
        nodes.add(gw);
        return gw;
    }

    static String text(long conversationId, String message, String clientMsgId) {
        return "{\"type\":\"TEXT\",\"conversation_id\":" + conversationId + ",\"message\":\"" + message + "\""
                + (clientMsgId == null ? "" : ",\"client_msg_id\":\"" + clientMsgId + "\"") + "}";
    }

    private static void assertError(Map<String, Object> frame, String code, String clientMsgId) {
        assertEquals("ERROR", frame.get("type"), frame.toString());
        assertEquals(code, frame.get("code"), frame.toString());
        assertEquals(1L, frame.get("conversation_id"));
        assertEquals(clientMsgId, frame.get("client_msg_id"));
    }

    private static double hookCalls(GatewayFixture gw, String outcome) {
        double v = new dev.inbox.testkit.PrometheusText(
                        gw.admin("GET", "/metrics", null, false).body())
                .sum("inbox_hook_calls_total", new String[] {"hook=\"publish\"", "outcome=\"" + outcome + "\""});
        return Double.isNaN(v) ? 0 : v;
    }

    /**
     * Nothing of a refused message reached anyone: Ann's next message arrives first at Bob (a conversation's
     * messages reach each connection in order), and Ann gets only its acknowledgement.
     */
    private void nothingWasDelivered(WsClient ann, WsClient bob) {
        stub.answer(r -> Answer.status(204));
        ann.send(text(1, "after", "c-after"));
        assertEquals("after", bob.nextJson().get("message"), "the refused message never arrived");
        Map<String, Object> ack = ann.nextJson();
        assertEquals("after", ack.get("message"));
        assertEquals("c-after", ack.get("client_msg_id"));
    }

    @Test
    void okAnswerAdmitsAndTheBackendSeesTheMessageSignedWithTheSendersClaims() {
        GatewayFixture gw = node();
        gw.members(1, 1, 2);
        String annToken = Tokens.sign(
                GatewayFixture.SECRET,
                new JWTClaimsSet.Builder()
                        .subject("1")
                        .expirationTime(Date.from(Instant.now().plusSeconds(3600)))
                        .claim("name", "Ann")
                        .claim("role", "moderator")
                        .claim("orgs", List.of(4, 5))
                        .build());
        WsClient ann = gw.connect(Map.of("Authorization", "Bearer " + annToken));
        WsClient bob = gw.connect(2);

        ann.send(text(1, "hello", "c-1"));
        Map<String, Object> got = bob.nextJson();
        assertEquals("hello", got.get("message"));
        assertEquals("Ann", got.get("sender_name"));
        Map<String, Object> ack = ann.nextJson();
        assertEquals("c-1", ack.get("client_msg_id"));
        assertEquals(got.get("message_id"), ack.get("message_id"));

        RecordedRequest r = stub.requests().get(0);
        assertTrue(r.signatureValid);
        assertEquals("application/json", r.header("Content-Type"));
        Map<String, Object> body = r.json();
        assertEquals(1L, body.get("conversation_id"));
        assertEquals(1L, body.get("sender_id"));
        assertEquals("Ann", body.get("sender_name"));
        assertEquals("TEXT", body.get("type"));
        assertEquals("hello", body.get("message"));
        assertEquals("c-1", body.get("client_msg_id"));
        @SuppressWarnings("unchecked")
        Map<String, Object> claims = (Map<String, Object>) body.get("claims");
        assertEquals("1", claims.get("sub"));
        assertEquals("moderator", claims.get("role"), "the token's own claims reach the backend: " + claims);
        assertEquals(List.of(4L, 5L), claims.get("orgs"));
        assertEquals(1.0, hookCalls(gw, "ok"));
    }

    @Test
    void okAnswerWithAMessageReplacesTheTextForRecipientsAndTheSendersAcknowledgement() {
        GatewayFixture gw = node();
        gw.members(1, 1, 2);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);
        stub.answer(r -> Answer.json(200, "{\"id\":77,\"message\":\"h*** there\"}"));

        ann.send(text(1, "heck there", "c-1"));
        assertEquals("h*** there", bob.nextJson().get("message"));
        Map<String, Object> ack = ann.nextJson();
        assertEquals("h*** there", ack.get("message"), "the sender learns what was delivered");
        assertEquals("c-1", ack.get("client_msg_id"));
    }

    @Test
    void aRefusedMessageReservesNoClientMsgIdAndAResendIsAskedAgainButDeliveredOnce() {
        GatewayFixture gw = node();
        gw.members(1, 1, 2);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);
        stub.answer(r -> Answer.json(403, "{\"reason\":\"not now\"}"));
        ann.send(text(1, "hi", "c-1"));
        assertError(ann.nextJson(), "rejected", "c-1");

        stub.answer(r -> Answer.status(204));
        ann.send(text(1, "hi", "c-1"));
        Map<String, Object> delivered = bob.nextJson();
        assertEquals("hi", delivered.get("message"), "the refused try did not take the client_msg_id");
        assertEquals(delivered.get("message_id"), ann.nextJson().get("message_id"));

        ann.send(text(1, "hi", "c-1"));
        Map<String, Object> ack = ann.nextJson();
        assertEquals(delivered.get("message_id"), ack.get("message_id"), "a resend: the original id");
        assertEquals("c-1", ack.get("client_msg_id"));
        assertEquals(3, stub.requests().size(), "the hook is asked before the resend is recognised (documented)");
        assertEquals("c-1", stub.requests().get(2).json().get("client_msg_id"), "so the backend can tell too");
        nothingWasDelivered(ann, bob);
    }

    @Test
    void refusalTellsOnlyTheSenderTheBackendsReason() {
        GatewayFixture gw = node();
        gw.members(1, 1, 2);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);
        stub.answer(r -> Answer.json(403, "{\"reason\":\"links are not allowed here\"}"));

        ann.send(text(1, "buy at example.com", "c-1"));
        Map<String, Object> error = ann.nextJson();
        assertError(error, "rejected", "c-1");
        assertEquals("links are not allowed here", error.get("message"));

        nothingWasDelivered(ann, bob);
        assertEquals(1.0, hookCalls(gw, "refused"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"500", "timeout", "dropped"})
    void backendFailureIsBackendUnavailableAndNobodySeesAnything(String failure) {
        GatewayFixture gw = node();
        gw.members(1, 1, 2);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);
        stub.answer(r -> switch (failure) {
            case "500" -> Answer.json(500, "{\"message\":\"admitted?\"}");
            case "timeout" -> Answer.status(204).delayed(Duration.ofSeconds(3)); // past --hook-timeout 300ms
            default -> Answer.drop();
        });

        ann.send(text(1, "lost?", "c-1"));
        Map<String, Object> error = ann.nextJson();
        assertError(error, UNAVAILABLE, "c-1");
        assertEquals("the backend could not be reached; nothing was delivered; retrying is safe", error.get("message"));

        nothingWasDelivered(ann, bob);
        String outcome = switch (failure) {
            case "500" -> "failed";
            case "timeout" -> "timeout";
            default -> "unreachable";
        };
        assertEquals(1.0, hookCalls(gw, outcome), outcome);
    }

    @Test
    void backendThatStoppedListeningIsBackendUnavailableAndNotReady() {
        GatewayFixture gw = node();
        gw.members(1, 1, 2);
        WsClient ann = gw.connect(1);
        stub.close();

        ann.send(text(1, "anyone?", "c-1"));
        assertError(ann.nextJson(), UNAVAILABLE, "c-1");
        assertEquals(503, gw.readyz(), "a call found the hook unreachable");
        assertTrue(hookCalls(gw, "unreachable") >= 1);
    }

    @Test
    void conversationKeepsItsOrderWhenTheBackendAnswersTheFirstMessageLast() {
        GatewayFixture gw = node("--hook-timeout", "10s");
        gw.members(1, 1, 2);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);
        CompletableFuture<RecordedRequest> second = new CompletableFuture<>();
        // The first message's answer is held until the second's has been written: both calls are in flight at once.
        stub.answer(r -> {
            if (r.json().get("message").equals("first")) {
                return Answer.status(204).after(second.thenCompose(s -> s.answered));
            }
            second.complete(r);
            return Answer.status(204);
        });

        ann.send(text(1, "first", "c-1"));
        ann.send(text(1, "second", "c-2"));
        Map<String, Object> first = bob.nextJson();
        Map<String, Object> then = bob.nextJson();
        assertEquals("first", first.get("message"));
        assertEquals("second", then.get("message"));
        assertTrue((Long) then.get("message_id") > (Long) first.get("message_id"), "ids increase in send order");
        assertEquals("c-1", ann.nextJson().get("client_msg_id"));
        assertEquals("c-2", ann.nextJson().get("client_msg_id"));
        assertTrue(second.isDone(), "the second call was answered while the first was waiting");
    }

    @Test
    void slowAnswerForOneConversationHoldsUpNoOtherOnTheSameEventLoop() {
        // One event loop: both conversations are routed on it, so a blocked loop would hold B too.
        GatewayFixture gw = node("--hook-timeout", "10s", "--worker-threads", "1");
        gw.members(1, 1, 2);
        gw.members(2, 1, 2);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);
        CompletableFuture<Void> releaseA = new CompletableFuture<>();
        stub.answer(r -> (Long) r.json().get("conversation_id") == 1L
                ? Answer.status(204).after(releaseA)
                : Answer.status(204));

        ann.send(text(1, "a1", "a-1"));
        stub.awaitRequests(1);
        ann.send(text(2, "b1", "b-1"));
        ann.send(text(2, "b2", "b-2"));
        assertEquals("b1", bob.nextJson().get("message"));
        assertEquals("b2", bob.nextJson().get("message"));
        assertEquals("b-1", ann.nextJson().get("client_msg_id"));
        assertEquals("b-2", ann.nextJson().get("client_msg_id"));
        assertEquals(0, bob.pending(), "a1 still waits for its answer");

        releaseA.complete(null);
        assertEquals("a1", bob.nextJson().get("message"));
        assertEquals("a-1", ann.nextJson().get("client_msg_id"));
    }

    @Test
    void messagePastTheInFlightBoundIsRefusedAtOnceAndTheWaitingOnesGoThroughLater() {
        GatewayFixture gw = node("--hook-timeout", "10s", "--hook-max-in-flight", "2");
        gw.members(1, 1, 2);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);
        CompletableFuture<Void> release = new CompletableFuture<>();
        stub.answer(r -> Answer.status(204).after(release));

        ann.send(text(1, "m1", "c-1"));
        ann.send(text(1, "m2", "c-2"));
        ann.send(text(1, "m3", "c-3"));
        assertError(ann.nextJson(), UNAVAILABLE, "c-3");
        assertEquals(2, stub.awaitRequests(2).size());
        assertEquals(1.0, hookCalls(gw, "overloaded"));

        release.complete(null);
        assertEquals("m1", bob.nextJson().get("message"));
        assertEquals("m2", bob.nextJson().get("message"));
        assertEquals("c-1", ann.nextJson().get("client_msg_id"));
        assertEquals("c-2", ann.nextJson().get("client_msg_id"));
        assertEquals(2, stub.requests().size(), "the refused message was never sent to the backend");
    }

    @Test
    void oneConnectionHasAtMostEightMessagesOnTheirWayAndTheRestWaitUnreadInItsSocket() {
        // One event loop for Ann and Bob: the loop that serves Bob below is the one that would read Ann's backlog.
        // Messages of 15 000 characters: one read (at most 64 KiB) holds at most 4 of them.
        GatewayFixture gw = node("--hook-timeout", "10s", "--worker-threads", "1", "--max-message-chars", "15000");
        int messages = 16;
        int perRead = 65536 / 15000;
        for (long c = 1; c <= messages; c++) {
            gw.members(c, 1, 2);
        }
        gw.members(99, 2, 3);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);
        CompletableFuture<Void> release = new CompletableFuture<>();
        stub.answer(r -> (Long) r.json().get("conversation_id") == 99L
                ? Answer.status(204)
                : Answer.status(204).after(release));

        String text = "x".repeat(15000 - 2);
        for (int c = 1; c <= messages; c++) {
            ann.send(text(c, String.format("%02d", c) + text, "c-" + c)); // in the node's socket when send returns
        }
        stub.awaitRequests(InboxSession.MAX_ADMISSIONS_IN_FLIGHT);
        // Bob's round trip through the same loop and the hook: the loop has run its I/O since Ann's frames arrived.
        bob.send(text(99, "bob", "b-1"));
        assertEquals("b-1", bob.nextJson().get("client_msg_id"));
        int annsAtTheBackend = stub.requests().size() - 1;
        assertTrue(
                annsAtTheBackend <= InboxSession.MAX_ADMISSIONS_IN_FLIGHT + perRead,
                annsAtTheBackend + " of Ann's " + messages + " at the backend: at most 8 and the rest of one read");

        release.complete(null);
        Set<Object> delivered = new HashSet<>();
        for (int i = 0; i < messages; i++) {
            delivered.add(((String) bob.nextJson().get("message")).substring(0, 2));
            ann.nextJson();
        }
        assertEquals(messages, delivered.size(), "every message got through once the first were answered");
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "{\"message\":5}", "{\"message\":\"too long\"}", "100 KiB"})
    void malformedOkAnswerIsBackendUnavailableAndCounted(String answer) {
        GatewayFixture gw = node("--max-message-chars", "5");
        gw.members(1, 1, 2);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);
        String body = answer.equals("100 KiB") ? "{\"message\":\"" + "x".repeat(100 * 1024) + "\"}" : answer;
        stub.answer(r -> Answer.json(200, body));

        ann.send(text(1, "hi", "c-1"));
        assertError(ann.nextJson(), UNAVAILABLE, "c-1");
        assertEquals(1.0, hookCalls(gw, "malformed"));

        nothingWasDelivered(ann, bob);
    }

    @Test
    void hookUnreachableAtStartLeavesTheNodeUpButNotReadyUntilTheBackendListens() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        GatewayFixture gw = unreadyNode(port);
        gw.members(1, 1, 2);
        HttpResponse<String> ready = gw.admin("GET", "/readyz", null, false);
        assertEquals(503, ready.statusCode());
        assertTrue(ready.body().contains("publish hook"), ready.body());
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);
        ann.send(text(1, "early", "c-1"));
        assertError(ann.nextJson(), UNAVAILABLE, "c-1");

        stub = backend(port);
        Await.until("the node is ready once the backend listens", () -> gw.readyz() == 200);
        nothingWasDelivered(ann, bob);
    }

    @Test
    void adminPublishDoesNotGoThroughTheHook() {
        GatewayFixture gw = node();
        gw.members(1, 1, 2);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);
        stub.answer(r -> Answer.json(403, "{\"reason\":\"nothing today\"}"));

        HttpResponse<String> published =
                gw.admin("POST", "/api/conversations/1/messages", "{\"sender_id\":1,\"message\":\"from the backend\"}");
        assertEquals(200, published.statusCode(), published.body());
        assertEquals("from the backend", bob.nextJson().get("message"));
        assertEquals("from the backend", ann.nextJson().get("message"));
        assertEquals(0, stub.requests().size(), "the backend is the caller: it is not asked");

        ann.send(text(1, "and me?", "c-1")); // the hook is on: a client's message is asked about, and refused
        assertError(ann.nextJson(), "rejected", "c-1");
    }

    @Test
    void withRedisTheBackendStillDecides() {
        try (RedisServer redis = RedisServer.start()) {
            GatewayFixture gw = node("--redis", redis.uri());
            gw.members(1, 1, 2);
            WsClient ann = gw.connect(1);
            WsClient bob = gw.connect(2);
            stub.answer(r -> r.json().get("message").equals("spam")
                    ? Answer.json(422, "{\"reason\":\"spam\"}")
                    : Answer.json(200, "{\"message\":\"[checked] " + r.json().get("message") + "\"}"));

            ann.send(text(1, "spam", "c-1"));
            assertError(ann.nextJson(), "rejected", "c-1");
            ann.send(text(1, "hello", "c-2"));
            assertEquals("[checked] hello", bob.nextJson().get("message"), "the refused message never arrived");
            Map<String, Object> ack = ann.nextJson();
            assertEquals("[checked] hello", ack.get("message"));
            assertEquals("c-2", ack.get("client_msg_id"));
            gw.close();
            nodes.remove(gw);
        }
    }
}
