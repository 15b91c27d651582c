package dev.inbox.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.Json;
import dev.inbox.testkit.Tokens;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Authentication and the upgrade, over real sockets with the JDK's WebSocket and HTTP clients. */
class HandshakeIT {
    private GatewayFixture gw;

    @AfterEach
    void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    private HttpResponse<String> plainGet(String path) throws IOException, InterruptedException {
        return gw.http()
                .send(
                        HttpRequest.newBuilder(gw.publicHttp(path))
                                .timeout(WsClient.WAIT)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    private void assertChats(WsClient client, long userId) {
        gw.members(1, userId);
        client.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"hi\"}");
        assertEquals(userId, client.nextJson().get("sender_id"));
    }

    @Test
    void missingTokenGets401() {
        gw = GatewayFixture.start();
        WsClient.Refused r = gw.refused("/ws/inbox/", Map.of(), List.of());
        assertEquals(401, r.status());
    }

    @Test
    void badlySignedTokenGets401() {
        gw = GatewayFixture.start();
        String forged = Tokens.hs256("another-secret-0123456789-abcdefghij", 1, Duration.ofHours(1));
        assertEquals(
                401,
                gw.refused("/ws/inbox/", Map.of("Authorization", "Bearer " + forged), List.of())
                        .status());
        assertEquals(
                401,
                gw.refused("/ws/inbox/", Map.of("Authorization", "Bearer not.a.jwt"), List.of())
                        .status());
    }

    @Test
    void expiredTokenGets401() {
        gw = GatewayFixture.start();
        String expired = Tokens.hs256(
                GatewayFixture.SECRET, 1, "Ann", null, Instant.now().minusSeconds(300));
        assertEquals(
                401,
                gw.refused("/ws/inbox/", Map.of("Authorization", "Bearer " + expired), List.of())
                        .status());
    }

    @Test
    void tokenInTheAuthorizationHeaderAuthenticates() {
        gw = GatewayFixture.start();
        assertChats(gw.connect(5), 5);
    }

    @Test
    void tokenOfferedAsSubprotocolAuthenticatesAndOnlyInboxV1IsSelected() {
        gw = GatewayFixture.start();
        WsClient c = gw.connect("/ws/inbox/", Map.of(), List.of("inbox.v1", "inbox.token." + gw.token(6)));
        assertEquals("inbox.v1", c.subprotocol(), "the token is never echoed back");
        assertChats(c, 6);
    }

    @Test
    void tokenInTheQueryAuthenticates() {
        gw = GatewayFixture.start();
        assertChats(gw.connect("/ws/inbox?token=" + gw.token(7), Map.of(), List.of()), 7);
    }

    @Test
    void tokenInTheCookieAuthenticates() {
        gw = GatewayFixture.start();
        assertChats(gw.connect("/ws/inbox/", Map.of("Cookie", "theme=dark; inbox_token=" + gw.token(8)), List.of()), 8);
    }

    @Test
    void foreignOriginGets403AndAllowedOriginPasses() {
        gw = GatewayFixture.start("--allowed-origins", "https://app.example.com");
        String bearer = "Bearer " + gw.token(1);
        WsClient.Refused r =
                gw.refused("/ws/inbox/", Map.of("Authorization", bearer, "Origin", "https://evil.example"), List.of());
        assertEquals(403, r.status());
        assertChats(gw.connect(Map.of("Authorization", bearer, "Origin", "https://app.example.com")), 1);
    }

    @Test
    void otherPathsGet404() throws Exception {
        gw = GatewayFixture.start();
        assertEquals(
                404,
                gw.refused("/ws/chat/1/", Map.of("Authorization", "Bearer " + gw.token(1)), List.of())
                        .status());
        HttpResponse<String> r = plainGet("/");
        assertEquals(404, r.statusCode());
        assertEquals("not_found", Json.parse(r.body()).get("error"));
        assertEquals(404, plainGet("/metrics").statusCode(), "nothing else is served on the public port");
    }

    @Test
    void plainHttpOnTheWebSocketPathGets426() throws Exception {
        gw = GatewayFixture.start();
        HttpResponse<String> r = plainGet("/ws/inbox/");
        assertEquals(426, r.statusCode());
        assertEquals("websocket", r.headers().firstValue("upgrade").orElse(""));
    }

    @Test
    void devModeAcceptsUserIdWithoutATokenAndOpenConversationsJoinBySending() {
        gw = GatewayFixture.start("--dev");
        WsClient ann = gw.connect("/ws/inbox/?user_id=1&name=Ann", Map.of(), List.of());
        WsClient bob = gw.connect("/ws/inbox/?user_id=2&name=Bob", Map.of(), List.of());

        ann.send("{\"type\":\"TEXT\",\"conversation_id\":42,\"message\":\"anyone?\"}");
        assertEquals("Ann", ann.nextJson().get("sender_name"));
        bob.send("{\"type\":\"TEXT\",\"conversation_id\":42,\"message\":\"me\"}");
        assertEquals("me", bob.nextJson().get("message"));
        Map<String, Object> atAnn = ann.nextJson();
        assertEquals("me", atAnn.get("message"));
        assertEquals("Bob", atAnn.get("sender_name"));
    }

    @Test
    void devModeKeepsAdminManagedConversationsClosed() {
        gw = GatewayFixture.start("--dev");
        gw.members(43, 1);
        WsClient bob = gw.connect("/ws/inbox/?user_id=2", Map.of(), List.of());
        bob.send("{\"type\":\"TEXT\",\"conversation_id\":43,\"message\":\"hi\"}");
        assertEquals("not_a_member", bob.nextJson().get("code"));
    }

    @Test
    void userIdInTheQueryIsNotAcceptedOutsideDevMode() {
        gw = GatewayFixture.start();
        assertEquals(
                401, gw.refused("/ws/inbox/?user_id=1", Map.of(), List.of()).status());
    }

    @Test
    void tokenExpiringOnAnOpenConnectionClosesItWith4501() {
        gw = GatewayFixture.start();
        String shortLived = Tokens.hs256(
                GatewayFixture.SECRET, 1, "Ann", null, Instant.now().plusMillis(1500));
        WsClient c = gw.connect(Map.of("Authorization", "Bearer " + shortLived));
        assertEquals(4501, c.awaitClose());
        assertFalse(c.pending() > 0);
    }
}
