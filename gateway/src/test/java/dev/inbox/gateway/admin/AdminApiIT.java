package dev.inbox.gateway.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.Json;
import dev.inbox.testkit.RawHttp;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The admin API over real HTTP. */
class AdminApiIT {
    private GatewayFixture gw;

    @BeforeEach
    void start() {
        gw = GatewayFixture.start("--max-members", "3", "--admin-max-body-bytes", "256");
    }

    @AfterEach
    void stop() {
        gw.close();
    }

    private static void assertError(HttpResponse<String> r, int status, String code) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
        Map<String, Object> body = Json.parse(r.body());
        assertEquals(code, body.get("error"), r.body());
        assertEquals(String.class, body.get("message").getClass());
    }

    @Test
    void everyApiCallNeedsTheKey() {
        assertError(gw.admin("GET", "/api/conversations/1/members", null, false), 401, "unauthorized");
        assertError(gw.admin("PUT", "/api/conversations/1/members", "{\"user_ids\":[1]}", false), 401, "unauthorized");
        assertError(gw.admin("POST", "/api/conversations/1/messages", "{}", false), 401, "unauthorized");
        assertEquals(
                404,
                gw.admin("GET", "/api/conversations/1/members", null, true).statusCode(),
                "the 401 above was not because the conversation is unknown");
    }

    @Test
    void healthAndReadinessNeedNoKey() {
        HttpResponse<String> health = gw.admin("GET", "/healthz", null, false);
        assertEquals(200, health.statusCode());
        HttpResponse<String> ready = gw.admin("GET", "/readyz", null, false);
        assertEquals(200, ready.statusCode());
        assertEquals("ready", Json.parse(ready.body()).get("status"));
    }

    @Test
    void membersAreReplacedAddedRemovedAndListed() {
        HttpResponse<String> put = gw.admin("PUT", "/api/conversations/5/members", "{\"user_ids\":[3,1,3]}");
        assertEquals(200, put.statusCode(), put.body());
        assertEquals(List.of(1L, 3L), Json.parse(put.body()).get("user_ids"), "sorted, duplicates dropped");
        assertEquals(
                200, gw.admin("POST", "/api/conversations/5/members/2", null).statusCode());
        assertEquals(
                200, gw.admin("DELETE", "/api/conversations/5/members/1", null).statusCode());
        HttpResponse<String> get = gw.admin("GET", "/api/conversations/5/members", null);
        assertEquals(Map.of("conversation_id", 5L, "user_ids", List.of(2L, 3L)), Json.parse(get.body()));
    }

    @Test
    void badInputGetsA4xxNamingTheProblemAndChangesNothing() {
        gw.members(6, 1, 2);
        assertError(gw.admin("PUT", "/api/conversations/6/members", "{\"user_ids\":[1,"), 400, "bad_json");
        assertError(gw.admin("PUT", "/api/conversations/6/members", "{\"user_ids\":\"1\"}"), 400, "wrong_type");
        assertError(gw.admin("PUT", "/api/conversations/6/members", "{\"user_ids\":[1,-2]}"), 400, "wrong_type");
        assertError(gw.admin("PUT", "/api/conversations/6/members", "{\"members\":[1]}"), 400, "missing_field");
        assertError(
                gw.admin("PUT", "/api/conversations/6/members", "{\"user_ids\":[1,2,3,4]}"), 400, "too_many_members");
        assertError(gw.admin("PUT", "/api/conversations/abc/members", "{\"user_ids\":[1]}"), 400, "bad_id");
        assertError(gw.admin("PUT", "/api/conversations/0/members", "{\"user_ids\":[1]}"), 400, "bad_id");
        assertError(
                gw.admin("PUT", "/api/conversations/6/members", "{\"user_ids\":[" + "1,".repeat(200) + "1]}"),
                413,
                "body_too_large");
        assertEquals(
                List.of(1L, 2L),
                Json.parse(gw.admin("GET", "/api/conversations/6/members", null).body())
                        .get("user_ids"),
                "nothing was half-applied");
        String metrics = gw.admin("GET", "/metrics", null, false).body();
        assertTrue(metrics.contains("inbox_limit_hits_total{limit=\"admin_body\"} 1.0"), "the body limit is counted");
        assertTrue(metrics.contains("inbox_limit_hits_total{limit=\"members\"} 1.0"), "the member limit is counted");
    }

    @Test
    void addingPastTheMemberLimitIsRefused() {
        gw.members(7, 1, 2, 3);
        assertError(gw.admin("POST", "/api/conversations/7/members/4", null), 409, "too_many_members");
    }

    @Test
    void unknownRoutesAndMethodsAreRefused() {
        assertError(gw.admin("GET", "/api/conversations/7/other", null), 404, "not_found");
        assertError(gw.admin("GET", "/nope", null), 404, "not_found");
        assertError(gw.admin("PATCH", "/api/conversations/7/members", "{}"), 405, "method_not_allowed");
        assertError(gw.admin("GET", "/api/conversations/7/members", null), 404, "unknown_conversation");
    }

    @Test
    void publishValidatesItsBody() {
        gw.members(8, 1);
        assertError(gw.admin("POST", "/api/conversations/8/messages", "{\"message\":\"x\"}"), 400, "missing_field");
        assertError(gw.admin("POST", "/api/conversations/8/messages", "{\"sender_id\":1}"), 400, "missing_field");
        assertError(
                gw.admin(
                        "POST",
                        "/api/conversations/8/messages",
                        "{\"sender_id\":1,\"message\":\"x\",\"type\":\"IMAGE\"}"),
                400,
                "unknown_type");
        assertError(gw.admin("POST", "/api/conversations/8/messages", "[]"), 400, "bad_json");
    }

    /**
     * Issue 11: without the key, a request is answered on its head, before any of its body is read, and the
     * connection closed; the body it announced (under the bound here) is never waited for.
     */
    @Test
    void aRequestWithoutTheRightKeyIsRefusedOnItsHeadAndClosed() throws IOException {
        for (String authorization : new String[] {"", "Authorization: Bearer wrong-key-0123456789\r\n"}) {
            try (RawHttp c = RawHttp.connect(gw.server().adminPort())) {
                c.write("PUT /api/conversations/1/members HTTP/1.1\r\nHost: test\r\n" + authorization
                        + "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n");
                RawHttp.Response r = c.read();
                assertEquals(401, r.status(), r.body());
                assertEquals("unauthorized", Json.parse(r.body()).get("error"));
                assertTrue(c.closedByServer(), "closed, not left waiting for the body");
            }
        }
    }

    /** Health, readiness and metrics take no body: one announced is refused, not read. */
    @Test
    void aBodySentToHealthIsRefusedUnread() throws IOException {
        try (RawHttp c = RawHttp.connect(gw.server().adminPort())) {
            c.write("GET /healthz HTTP/1.1\r\nHost: test\r\nContent-Length: 200\r\n\r\n");
            assertEquals(400, c.read().status());
            assertTrue(c.closedByServer());
        }
    }

    /** Issue 11: a head or a body that stops arriving does not hold its connection for ever. */
    @Test
    void aConnectionThatStallsIsClosedAfterTheReadTimeout() throws IOException {
        try (GatewayFixture quick = GatewayFixture.start("--admin-read-timeout", "1s");
                RawHttp halfHead = RawHttp.connect(quick.server().adminPort());
                RawHttp halfBody = RawHttp.connect(quick.server().adminPort())) {
            halfHead.write("PUT /api/conversations/1/members HTTP/1.1\r\nHost: test\r\n");
            halfBody.write("PUT /api/conversations/1/members HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer "
                    + GatewayFixture.API_KEY + "\r\nContent-Length: 100\r\n\r\n{\"user_ids\":[");
            assertTrue(halfHead.closedByServer(), "a stalled head");
            assertTrue(halfBody.closedByServer(), "a stalled body");
            assertTrue(
                    quick.admin("GET", "/metrics", null, false)
                            .body()
                            .contains("inbox_limit_hits_total{limit=\"admin_read_timeout\"} 2.0"),
                    "both are counted");
        }
    }

    /**
     * Issue 11: past the connection cap the API is refused, while probes and scrapes still answer: they hold no
     * body, so a flood of connections must not make a liveness probe kill the node.
     */
    @Test
    void pastTheConnectionCapOnlyHealthReadinessAndMetricsAnswer() throws IOException {
        try (GatewayFixture capped = GatewayFixture.start("--admin-max-connections", "2");
                RawHttp first = RawHttp.connect(capped.server().adminPort());
                RawHttp second = RawHttp.connect(capped.server().adminPort())) {
            // An answer on each proves the node counts both before the next connection arrives.
            assertEquals(200, first.get("/healthz"));
            assertEquals(200, second.get("/healthz"));

            assertEquals(200, capped.admin("GET", "/healthz", null, false).statusCode());
            assertEquals(200, capped.admin("GET", "/readyz", null, false).statusCode());
            assertEquals(200, capped.admin("GET", "/metrics", null, false).statusCode());
            assertError(capped.admin("GET", "/api/conversations/1/members", null), 503, "too_many_connections");
            assertTrue(
                    capped.admin("GET", "/metrics", null, false)
                            .body()
                            .contains("inbox_limit_hits_total{limit=\"admin_connections\"} 1.0"),
                    "the refusal is counted");

            first.close();
            GatewayFixture.await(
                    "a place is free again",
                    () -> capped.admin("GET", "/api/conversations/1/members", null)
                                    .statusCode()
                            == 404);
        }
    }

    /**
     * Issue 11: the admin port is private unless configured otherwise, whatever the public port's address. Linux
     * routes all of 127/8 to loopback, so 127.0.0.2 reaches a socket bound to 0.0.0.0 but not one on 127.0.0.1.
     */
    @Test
    void theAdminPortListensOnLoopbackOnlyUnlessTold() throws IOException {
        try (GatewayFixture publicEverywhere = GatewayFixture.start("--bind", "0.0.0.0")) {
            int port = publicEverywhere.server().adminPort();
            assertThrows(ConnectException.class, () -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.2", port), 2000);
                }
            });
        }
        try (GatewayFixture exposed = GatewayFixture.start("--admin-bind", "0.0.0.0");
                Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.2", exposed.server().adminPort()), 2000);
            assertTrue(s.isConnected());
        }
    }

    /** Issue 11: as client frames do, admin bodies refuse a known field given twice instead of taking the last. */
    @Test
    void aFieldGivenTwiceIsRefused() {
        gw.members(9, 1);
        assertError(
                gw.admin("PUT", "/api/conversations/9/members", "{\"user_ids\":[2],\"user_ids\":[3]}"),
                400,
                "bad_json");
        assertError(
                gw.admin(
                        "POST",
                        "/api/conversations/9/messages",
                        "{\"sender_id\":1,\"message\":\"a\",\"message\":\"b\"}"),
                400,
                "bad_json");
        assertError(
                gw.admin(
                        "POST",
                        "/api/conversations/9/messages",
                        "{\"sender_id\":1,\"message\":\"a\",\"sender_name\":\"A\",\"sender_name\":\"B\"}"),
                400,
                "bad_json");
        assertEquals(
                List.of(1L),
                Json.parse(gw.admin("GET", "/api/conversations/9/members", null).body())
                        .get("user_ids"),
                "nothing was applied");
    }

    /**
     * Issue 11: sender_name and sender_avatar are bounded like the token's name and picture (128 and 2048
     * characters, code points), so one call cannot send every member a 900 KB name.
     */
    @Test
    void senderNameAndAvatarAreBounded() {
        try (GatewayFixture roomy = GatewayFixture.start()) {
            roomy.members(10, 1);
            String emoji = "\uD83D\uDE00";
            assertEquals(
                    200,
                    roomy.admin(
                                    "POST",
                                    "/api/conversations/10/messages",
                                    publish(emoji.repeat(128), "https://a.example/" + "x".repeat(2048 - 18)))
                            .statusCode(),
                    "at the bounds");
            assertError(
                    roomy.admin("POST", "/api/conversations/10/messages", publish(emoji.repeat(129), null)),
                    400,
                    "wrong_type");
            assertError(
                    roomy.admin(
                            "POST",
                            "/api/conversations/10/messages",
                            publish("Ann", "https://a.example/" + "x".repeat(2048 - 17))),
                    400,
                    "wrong_type");
        }
    }

    private static String publish(String name, String avatar) {
        return "{\"sender_id\":1,\"message\":\"hi\",\"sender_name\":\"" + name + "\""
                + (avatar == null ? "" : ",\"sender_avatar\":\"" + avatar + "\"") + "}";
    }
}
