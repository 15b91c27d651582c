package dev.inbox.gateway.server;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.Json;
import dev.inbox.testkit.WsClient;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each limit over real sockets: what the client sees, and the meter that counts it. */
class LimitsIT {

    private static double hits(GatewayFixture gw, String limit) {
        String text = gw.admin("GET", "/metrics", null, false).body();
        for (String line : text.split("\n")) {
            if (line.startsWith("inbox_limit_hits_total{limit=\"" + limit + "\"}")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    @Test
    void messagesOverTheRateGetRateLimitedAndAFloodIsClosedWith1008() {
        try (GatewayFixture gw = GatewayFixture.start("--rate-limit", "1", "--rate-burst", "5")) {
            gw.members(1, 1, 2);
            WsClient ann = gw.connect(1);
            WsClient bob = gw.connect(2);
            // Six back to back: a burst of five passes, the sixth comes long before the next token (1 s).
            for (int i = 0; i < 6; i++) {
                ann.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"m" + i + "\",\"client_msg_id\":\"c" + i + "\"}");
            }
            Map<String, Object> refused = null;
            for (int i = 0; i < 6; i++) {
                Map<String, Object> reply = ann.nextJson();
                if ("ERROR".equals(reply.get("type"))) {
                    refused = reply;
                }
            }
            assertTrue(refused != null, "one of six was refused");
            assertEquals("rate_limited", refused.get("code"));
            assertEquals("c5", refused.get("client_msg_id"), "the client learns which message to resend");
            for (int i = 0; i < 5; i++) {
                assertEquals("m" + i, bob.nextJson().get("message"));
            }
            for (int i = 0; i < 10 && !ann.isClosedByServer(); i++) {
                try {
                    ann.socket().sendText("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"flood\"}", true)
                            .join();
                } catch (RuntimeException closedMeanwhile) {
                    break;
                }
            }
            assertEquals(1008, ann.awaitClose(), "a client that keeps flooding is closed");
            assertTrue(hits(gw, "rate") >= 1);
            assertEquals(1, hits(gw, "flood_close"));
            bob.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"after\"}");
            assertEquals("after", bob.nextJson().get("message"), "no refused message was delivered first");
        }
    }

    @Test
    void oneUserPastItsConnectionLimitGets429() {
        try (GatewayFixture gw = GatewayFixture.start("--max-connections-per-user", "2")) {
            gw.connect(1);
            gw.connect(1);
            GatewayFixture.await("two connections", () -> gw.server().connectionCount() == 2);
            WsClient.Refused r = gw.refused("/ws/inbox/", Map.of("Authorization", "Bearer " + gw.token(1)), List.of());
            assertEquals(429, r.status());
            gw.connect(2); // another user is not affected
            assertEquals(1, hits(gw, "user_connections"));
        }
    }

    @Test
    void oneAddressPastItsConnectionLimitGets429() {
        try (GatewayFixture gw = GatewayFixture.start("--max-connections-per-ip", "3")) {
            WsClient first = gw.connect(1);
            gw.connect(2);
            gw.connect(3);
            assertEquals(429, gw.refused("/ws/inbox/", Map.of("Authorization", "Bearer " + gw.token(4)), List.of())
                    .status());
            first.close();
            GatewayFixture.await("a slot frees up", () -> gw.server().connectionCount() == 2);
            gw.connect(4);
            assertEquals(1, hits(gw, "address_connections"));
        }
    }

    @Test
    void oneAddressHandshakingTooFastGets429() {
        try (GatewayFixture gw = GatewayFixture.start("--max-handshakes-per-ip", "3")) {
            int refused = 0;
            for (int i = 0; i < 10; i++) {
                try {
                    WsClient.connect(gw.http(), gw.ws("/ws/inbox/"), Map.of("Authorization", "Bearer " + gw.token(i + 1)),
                            List.of()).close();
                } catch (WsClient.Refused r) {
                    assertEquals(429, r.status());
                    assertEquals("too_many", Json.parse(r.body()).get("error"));
                    refused++;
                }
            }
            assertTrue(refused >= 2, "a burst of 3, then about 3 a second: " + refused + " of 10 refused");
            assertEquals(refused, (int) hits(gw, "address_handshakes"));
        }
    }

    @Test
    void aFullNodeGets503AndTurnsNotReadyUntilAConnectionLeaves() {
        try (GatewayFixture gw = GatewayFixture.start("--max-connections", "2")) {
            WsClient a = gw.connect(1);
            gw.connect(2);
            assertEquals(503, gw.readyz(), "full: the balancer should send new users elsewhere");
            assertEquals(503, gw.refused("/ws/inbox/", Map.of("Authorization", "Bearer " + gw.token(3)), List.of())
                    .status());
            a.close();
            GatewayFixture.await("ready again", () -> gw.readyz() == 200);
            gw.connect(3);
            assertEquals(1, hits(gw, "node_connections"));
        }
    }
}
