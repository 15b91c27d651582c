package dev.inbox.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.WsClient;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a connection's life leaves behind, and the timers that end it. */
class LifecycleIT {

    @Test
    void nothingOfAUserIsLeftAfterTheirConnectionsClose() {
        try (GatewayFixture gw = GatewayFixture.start()) {
            List<WsClient> clients = new ArrayList<>();
            for (long user = 1; user <= 100; user++) {
                clients.add(gw.connect(user));
                clients.add(gw.connect(user));
            }
            GatewayFixture.await(
                    "200 connections are registered", () -> gw.server().connectionCount() == 200);
            assertEquals(100, gw.server().userCount());
            for (WsClient c : clients) {
                c.close();
            }
            GatewayFixture.await(
                    "every group is released",
                    () -> gw.server().connectionCount() == 0 && gw.server().userCount() == 0);
        }
    }

    @Test
    void quietConnectionsArePinged() {
        try (GatewayFixture gw = GatewayFixture.start("--ping-interval", "200ms", "--idle-timeout", "10s")) {
            WsClient c = gw.connect(1);
            GatewayFixture.await("the server pings", () -> c.pings() >= 2);
        }
    }

    @Test
    void clientCloseIsEchoed() {
        try (GatewayFixture gw = GatewayFixture.start()) {
            WsClient c = gw.connect(1);
            c.socket().sendClose(4321, "done").join();
            assertEquals(4321, c.awaitClose());
            GatewayFixture.await("the connection is released", () -> gw.server().connectionCount() == 0);
        }
    }
}
