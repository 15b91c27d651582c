package dev.inbox.gateway.presence;

import static dev.inbox.gateway.presence.PresenceIT.assertError;
import static dev.inbox.gateway.presence.PresenceIT.assertPresence;
import static dev.inbox.gateway.presence.PresenceIT.awaitStatus;
import static dev.inbox.gateway.presence.PresenceIT.subscribe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.GatewayProcess;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.WsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Presence across nodes joined by a real redis-server: changes seen on every node, a SIGKILLed node's users swept. */
class RedisPresenceIT {
    /** The default: a move between nodes must land within it even on a loaded two-core machine (see PresenceIT). */
    private static final Duration DEBOUNCE = Duration.ofSeconds(5);
    /** The tests' --presence-timeout: the bound on showing a killed node's users offline. */
    private static final Duration TIMEOUT = Duration.ofSeconds(4);

    private final List<AutoCloseable> nodes = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private RedisServer redis;

    @BeforeEach
    void start() {
        startRedis();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable n : nodes) {
            n.close();
        }
        stopRedis();
    }

    /** Starts the Redis the nodes share: a standalone redis-server here, a cluster in the subclass. */
    void startRedis() {
        redis = RedisServer.start();
    }

    void stopRedis() {
        redis.close();
    }

    String redisUri() {
        return redis.uri();
    }

    /** The integer reply of {@code command} on the presence keys, named with their {@code prefix}. */
    long presenceCount(String command, String key) throws java.io.IOException {
        return Long.parseLong(redis.command(command + " inbox:presence:" + key).replace(":", ""));
    }

    private List<String> presenceFlags() {
        return List.of(
                "--redis",
                redisUri(),
                "--redis-ping-interval",
                "500ms",
                "--redis-timeout",
                "1s",
                "--presence-debounce",
                DEBOUNCE.toMillis() + "ms",
                "--presence-timeout",
                TIMEOUT.toMillis() + "ms");
    }

    GatewayFixture node() {
        GatewayFixture n =
                GatewayFixture.start(presenceFlags().toArray(new String[0])).awaitReady();
        nodes.add(n);
        return n;
    }

    @Test
    void onlineAndOfflineAreSeenOnBothNodesAndAMoveBetweenNodesIsNoChange() {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(1, 1, 2, 3);
        WsClient carolOnA = a.connect(3);
        WsClient bobOnB = b.connect(2);
        carolOnA.send(subscribe(1));
        bobOnB.send(subscribe(1));
        assertPresence(carolOnA, 1, "offline");
        assertPresence(bobOnB, 1, "offline");

        WsClient annOnA = a.connect(1);
        assertPresence(carolOnA, 1, "online");
        assertPresence(bobOnB, 1, "online");
        awaitStatus(b, 1, "online"); // the other node's admin API reads Redis too

        // Ann's phone moves from A to B within the debounce: no node tells anybody anything.
        annOnA.close();
        WsClient annOnB = b.connect(1);
        long closedAt = System.nanoTime();
        annOnB.close();
        assertPresence(carolOnA, 1, "offline"); // the next frame is the final offline, a debounce after B lost her
        assertPresence(bobOnB, 1, "offline");
        assertTrue(System.nanoTime() - closedAt >= DEBOUNCE.toNanos());
        assertEquals(
                "{\"user_id\":1,\"status\":\"offline\"}\n",
                a.admin("GET", "/api/users/1/presence", null).body());
        String metrics = a.admin("GET", "/metrics", null, false).body()
                + b.admin("GET", "/metrics", null, false).body();
        // Carol's, Bob's and Ann's arrivals and Ann's departure, each told once by the one node that made it
        assertEquals(4, sum(metrics, "inbox_presence_published_total"), metrics);
    }

    @Test
    void aKilledNodesUsersGoOfflineOnTheOtherNodeWithinTheTimeout() throws Exception {
        GatewayFixture b = node();
        List<String> flags = new ArrayList<>(presenceFlags());
        flags.add("--dev");
        GatewayProcess a = GatewayProcess.started(
                "presence-a",
                List.of("-Dio.netty.leakDetection.level=paranoid"),
                GatewayProcess.onLoopback(flags.toArray(new String[0])),
                http,
                "dev-api-key");
        nodes.add(a);
        b.members(1, 1, 2);
        WsClient annOnA = WsClient.connect(http, URI.create(a.ws() + "?user_id=1&name=Ann"), Map.of(), List.of());
        WsClient bobOnB = b.connect(2);
        awaitStatus(b, 1, "online");
        bobOnB.send(subscribe(1));
        assertPresence(bobOnB, 1, "online");

        long killedAt = System.nanoTime();
        a.process().destroyForcibly(); // SIGKILL: no close, no sweep of its own
        assertPresence(bobOnB, 1, "offline");
        long took = System.nanoTime() - killedAt;
        assertTrue(
                took <= TIMEOUT.toNanos(),
                "offline " + took / 1_000_000 + " ms after the kill (bound " + TIMEOUT.toMillis() + " ms)");
        assertEquals(0, presenceCount("SCARD", "u:1"));
        System.out.println("presence: killed node's user offline on the other node after " + took / 1_000_000
                + " ms (bound " + TIMEOUT.toMillis() + " ms)");
        annOnA.socket().abort(); // its node is gone: nothing to close with
    }

    @Test
    void aNodeThatShutsDownKeepsItsUsersOnlineForTheDebounceSoThoseWhoMoveAreNeverShownOffline() throws Exception {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(1, 1, 2);
        a.connect(1);
        WsClient bobOnB = b.connect(2);
        awaitStatus(b, 1, "online");
        bobOnB.send(subscribe(1));
        assertPresence(bobOnB, 1, "online");

        a.close(); // a drain's end: its heartbeat lapses after the debounce, not at once
        b.connect(1); // Ann's client reconnects, to the node that is left
        GatewayFixture.await("node A is swept", () -> {
            try {
                return presenceCount("SCARD", "nodes") == 1;
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        });
        bobOnB.send(subscribe(1));
        assertPresence(bobOnB, 1, "online"); // and no offline before it
    }

    @Test
    void theMembershipRuleFollowsRedisMembershipOnEveryNode() {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(1, 1, 2);
        a.members(2, 3, 4);
        WsClient bobOnB = b.connect(2);
        bobOnB.send(subscribe(3));
        assertError(bobOnB, "presence_forbidden");
        a.members(1, 1, 2, 3); // set through the other node
        bobOnB.send(subscribe(3));
        assertPresence(bobOnB, 3, "offline");
        a.members(1, 1, 2); // Carol leaves the one conversation she shared with Bob
        bobOnB.send(subscribe(3));
        assertError(bobOnB, "presence_forbidden");
        assertEquals(
                200, a.admin("POST", "/api/conversations/2/members/2", null).statusCode()); // Bob joins Carol's
        bobOnB.send(subscribe(3, 4));
        assertPresence(bobOnB, 3, "offline");
        assertPresence(bobOnB, 4, "offline");
    }

    private static long sum(String metrics, String name) {
        long total = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + " ")) {
                total += (long)
                        Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        return total;
    }
}
