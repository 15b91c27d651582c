package dev.inbox.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.Json;
import dev.inbox.testkit.RawHttp;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
                ann.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"m" + i + "\",\"client_msg_id\":\"c" + i
                        + "\"}");
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
                    ann.socket()
                            .sendText("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"flood\"}", true)
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
            assertEquals(
                    429,
                    gw.refused("/ws/inbox/", Map.of("Authorization", "Bearer " + gw.token(4)), List.of())
                            .status());
            first.close();
            GatewayFixture.await("a slot frees up", () -> gw.server().connectionCount() == 2);
            gw.connect(4);
            assertEquals(1, hits(gw, "address_connections"));
        }
    }

    /**
     * What a socket that has not been refused at accept answers: a request it is sent is read and answered (404 for
     * a path that is not the inbox); a refused one has its 429 waiting, or is gone.
     */
    private static int probe(RawHttp socket) {
        try {
            return socket.get("/probe");
        } catch (IOException closed) {
            return -1;
        }
    }

    /**
     * Issue 11: one address held 19 900 bare TCP connections that never sent a request, each for the whole handshake
     * timeout. Sockets not yet upgraded are counted per address from accept: past the bound the next is refused at
     * once (429, then closed), while the first ones stay open and served; once they are gone, new ones are taken.
     * One event loop, so sockets are counted in the order they were opened.
     */
    @Test
    void oneAddressHoldingSocketsThatNeverUpgradeIsRefusedAtAccept() throws IOException {
        try (GatewayFixture gw = GatewayFixture.start(
                "--max-connections-per-ip", "3", "--worker-threads", "1", "--handshake-timeout", "60s")) {
            int port = gw.server().port();
            List<RawHttp> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    held.add(RawHttp.connect(port)); // connected, and silent
                }
                for (int i = 0; i < 2; i++) {
                    try (RawHttp extra = RawHttp.connect(port)) {
                        // Read without sending anything: the answer comes at accept, long before the 60 s timeout
                        // (a socket left waiting fails the read after WsClient.WAIT).
                        RawHttp.Response r;
                        try {
                            r = extra.read();
                        } catch (SocketTimeoutException e) {
                            throw new AssertionError(
                                    "socket " + (4 + i) + " from an address holding 3 was not refused:"
                                            + " no answer within " + WsClient.WAIT,
                                    e);
                        }
                        assertEquals(429, r.status(), r.body());
                        assertEquals("too_many", Json.parse(r.body()).get("error"));
                        assertTrue(extra.closedByServer(), "a refused socket is closed");
                    }
                }
                for (RawHttp h : held) {
                    assertEquals(404, probe(h), "the first sockets are still open, and served");
                }
            } finally {
                for (RawHttp h : held) {
                    h.close();
                }
            }
            assertEquals(2, hits(gw, "address_pending"));
            assertEquals(0, hits(gw, "address_connections"), "no upgraded connection was counted");
            // The three were answered and closed: all three slots come back (a slot freed only at the upgrade
            // would never come back here).
            GatewayFixture.await("three new silent sockets are taken again", () -> {
                List<RawHttp> again = new ArrayList<>();
                try {
                    for (int i = 0; i < 3; i++) {
                        again.add(RawHttp.connect(port));
                    }
                    boolean all = true;
                    for (RawHttp h : again) {
                        all &= probe(h) == 404;
                    }
                    return all;
                } catch (IOException e) {
                    throw new AssertionError(e);
                } finally {
                    for (RawHttp h : again) {
                        try {
                            h.close();
                        } catch (IOException ignored) {
                            // closing our end of a socket the server may have closed already
                        }
                    }
                }
            });
        }
    }

    /** A socket that upgrades gives its pending slot back: an address may hold the bound pending and more upgraded. */
    @Test
    void anUpgradedConnectionNoLongerCountsAsPending() throws IOException {
        try (GatewayFixture gw = GatewayFixture.start(
                "--max-connections-per-ip", "2", "--worker-threads", "1", "--handshake-timeout", "60s")) {
            int port = gw.server().port();
            gw.connect(1);
            try (RawHttp a = RawHttp.connect(port);
                    RawHttp b = RawHttp.connect(port)) {
                assertEquals(404, probe(a));
                assertEquals(404, probe(b));
            }
            assertEquals(0, hits(gw, "address_pending"));
        }
    }

    /**
     * Behind a load balancer the TCP peer is the balancer, carrying every client: sockets not yet upgraded are not
     * counted per peer when it is a trusted proxy or speaks PROXY protocol (upgraded ones still count per client,
     * ClientAddressIT).
     */
    @Test
    void aTrustedProxyOrAProxyProtocolPeerIsNotCountedBeforeTheUpgrade() throws IOException {
        String[][] setups = {{"--trusted-proxies", "127.0.0.0/8"}, {"--proxy-protocol", "true"}};
        for (String[] setup : setups) {
            List<String> flags = new ArrayList<>(List.of("--max-connections-per-ip", "2", "--worker-threads", "1"));
            flags.addAll(List.of(setup));
            boolean proxyProtocol = setup[0].equals("--proxy-protocol");
            try (GatewayFixture gw = GatewayFixture.start(flags.toArray(new String[0]))) {
                List<RawHttp> held = new ArrayList<>();
                try {
                    for (int i = 0; i < 4; i++) {
                        held.add(RawHttp.connect(gw.server().port()));
                    }
                    for (RawHttp h : held) {
                        if (proxyProtocol) {
                            h.write("PROXY TCP4 203.0.113.7 192.0.2.1 40000 443\r\n");
                        }
                        assertEquals(404, probe(h), String.join(" ", setup));
                    }
                } finally {
                    for (RawHttp h : held) {
                        h.close();
                    }
                }
                assertEquals(0, hits(gw, "address_pending"), String.join(" ", setup));
            }
        }
    }

    @Test
    void oneAddressHandshakingTooFastGets429() {
        try (GatewayFixture gw = GatewayFixture.start("--max-handshakes-per-ip", "3")) {
            int refused = 0;
            for (int i = 0; i < 10; i++) {
                try {
                    WsClient.connect(
                                    gw.http(),
                                    gw.ws("/ws/inbox/"),
                                    Map.of("Authorization", "Bearer " + gw.token(i + 1)),
                                    List.of())
                            .close();
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
            assertEquals(
                    503,
                    gw.refused("/ws/inbox/", Map.of("Authorization", "Bearer " + gw.token(3)), List.of())
                            .status());
            a.close();
            GatewayFixture.await("ready again", () -> gw.readyz() == 200);
            gw.connect(3);
            assertEquals(1, hits(gw, "node_connections"));
        }
    }
}
