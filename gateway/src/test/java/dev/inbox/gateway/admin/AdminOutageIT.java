package dev.inbox.gateway.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.Json;
import dev.inbox.testkit.RedisServer;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The admin API of a clustered node while its real redis-server is gone. */
class AdminOutageIT {

    /**
     * Issue 11: a publish during a Redis outage answers what the docs promise, 503 {@code membership_unavailable},
     * with a message of the gateway's own: no Lettuce exception text (addresses, class names) reaches the caller.
     */
    @Test
    void aPublishDuringARedisOutageIsMembershipUnavailableWithNoInternalText() {
        try (RedisServer redis = RedisServer.start();
                GatewayFixture gw = GatewayFixture.start(
                                "--redis", redis.uri(), "--redis-timeout", "1s", "--redis-ping-interval", "500ms")
                        .awaitReady()) {
            gw.members(1, 1);
            redis.kill();
            GatewayFixture.await("the node notices", () -> gw.readyz() == 503);

            HttpResponse<String> r = gw.admin(
                    "POST", "/api/conversations/1/messages", "{\"sender_id\":1,\"message\":\"during the outage\"}");
            assertEquals(503, r.statusCode(), r.body());
            Map<String, Object> body = Json.parse(r.body());
            assertEquals("membership_unavailable", body.get("error"), r.body());
            String message = (String) body.get("message");
            assertEquals("membership store unavailable; nothing was delivered, retry later", message);
            assertFalse(r.body().contains(String.valueOf(redis.port())), "no address of Redis: " + r.body());
        }
    }
}
