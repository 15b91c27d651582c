package dev.inbox.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.RawWebSocket;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The client address behind load balancers, observed through the per-address connection limit (1 here): two
 * connections from what the node believes is one address cannot both be open.
 */
class ClientAddressIT {
    private static final String PROXY_V1 = "PROXY TCP4 %s 127.0.0.1 40000 8080\r\n";

    private static void assertRefused429(IOException e) {
        assertTrue(e.getMessage().contains(" 429 "), e.getMessage());
    }

    @Test
    void proxyProtocolNamesTheClient() throws IOException {
        try (GatewayFixture gw = GatewayFixture.start("--proxy-protocol", "true", "--max-connections-per-ip", "1")) {
            List<RawWebSocket> open = new ArrayList<>();
            try {
                int port = gw.server().port();
                open.add(RawWebSocket.connect(
                        port, "/ws/inbox/", "Bearer " + gw.token(1), 0, String.format(PROXY_V1, "203.0.113.7"), ""));
                open.add(RawWebSocket.connect(
                        port, "/ws/inbox/", "Bearer " + gw.token(2), 0, String.format(PROXY_V1, "203.0.113.8"), ""));
                IOException e = assertThrows(
                        IOException.class,
                        () -> RawWebSocket.connect(
                                port,
                                "/ws/inbox/",
                                "Bearer " + gw.token(3),
                                0,
                                String.format(PROXY_V1, "203.0.113.7"),
                                ""));
                assertRefused429(e);
            } finally {
                for (RawWebSocket ws : open) {
                    ws.close();
                }
            }
        }
    }

    @Test
    void forwardedForIsBelievedOnlyFromTrustedProxies() throws IOException {
        try (GatewayFixture gw =
                GatewayFixture.start("--trusted-proxies", "127.0.0.0/8", "--max-connections-per-ip", "1")) {
            int port = gw.server().port();
            try (RawWebSocket a = RawWebSocket.connect(
                            port, "/ws/inbox/", "Bearer " + gw.token(1), 0, "", "X-Forwarded-For: 198.51.100.1\r\n");
                    RawWebSocket b = RawWebSocket.connect(
                            port,
                            "/ws/inbox/",
                            "Bearer " + gw.token(2),
                            0,
                            "",
                            "X-Forwarded-For: 198.51.100.99, 198.51.100.2\r\n")) {
                IOException e = assertThrows(
                        IOException.class,
                        () -> RawWebSocket.connect(
                                port,
                                "/ws/inbox/",
                                "Bearer " + gw.token(3),
                                0,
                                "",
                                "X-Forwarded-For: 10.9.9.9, 198.51.100.1\r\n"));
                assertRefused429(e); // the rightmost untrusted hop is the client: 198.51.100.1 again
            }
        }
        try (GatewayFixture gw = GatewayFixture.start("--max-connections-per-ip", "1")) {
            int port = gw.server().port();
            try (RawWebSocket a = RawWebSocket.connect(
                    port, "/ws/inbox/", "Bearer " + gw.token(1), 0, "", "X-Forwarded-For: 198.51.100.1\r\n")) {
                IOException e = assertThrows(
                        IOException.class,
                        () -> RawWebSocket.connect(
                                port,
                                "/ws/inbox/",
                                "Bearer " + gw.token(2),
                                0,
                                "",
                                "X-Forwarded-For: 198.51.100.2\r\n"));
                assertRefused429(e); // no trusted proxies: the header is anyone's to write, so it is ignored
            }
        }
    }
}
