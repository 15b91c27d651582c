package dev.inbox.gateway.presence;

import static dev.inbox.gateway.presence.PresenceIT.assertPresence;
import static dev.inbox.gateway.presence.PresenceIT.awaitStatus;
import static dev.inbox.gateway.presence.PresenceIT.subscribe;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.RedisClusterServers;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every test of {@link RedisPresenceIT} again on a three-master Redis Cluster: the presence keys share one hash tag,
 * so they live on one shard, which the nodes find from the slot map.
 */
class RedisClusterPresenceIT extends RedisPresenceIT {
    /** Retries of a refused subscription, 4 a second: under --presence-rate (5). */
    private static final long PACE_NANOS = 250_000_000;

    private RedisClusterServers cluster;

    @Override
    void startRedis() {
        cluster = RedisClusterServers.start();
    }

    @Override
    void stopRedis() {
        cluster.close();
    }

    @Override
    String redisUri() {
        return cluster.uri();
    }

    /** Asked of the master that owns the presence slot. */
    @Override
    long presenceCount(String command, String key) throws IOException {
        String reply = presenceShard().command(command + " {inbox:presence}:" + key);
        return Long.parseLong(reply.substring(1));
    }

    /** The master that owns the presence keys' slot: the only one that answers for them rather than MOVED. */
    private RedisServer presenceShard() throws IOException {
        String answers = "";
        for (RedisServer master : cluster.masters()) {
            String reply = master.command("EXISTS {inbox:presence}:nodes");
            if (reply.startsWith(":")) {
                return master;
            }
            answers += reply + "; ";
        }
        throw new AssertionError("no master owns the presence slot: " + answers);
    }

    @Test
    void afterThePresenceShardRestartsTheNodesFindItAgainAndChangesFlow() throws IOException {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(1, 1, 2);
        RedisServer shard = presenceShard();
        shard.kill(); // the nodes' presence connections to it drop; they must connect again by themselves
        shard.restart();
        awaitPresenceConnections(shard, 2, "back on the restarted shard");
        a.awaitReady();
        b.awaitReady();

        WsClient bobOnB = b.connect(2);
        // The relay's own connection to the restarted shard comes back by itself too; until it has, the membership
        // check behind a subscription fails and is answered "retry later" (server_error), so Bob retries, as a
        // client would, paced under --presence-rate.
        long[] lastTry = {0};
        GatewayFixture.await("Bob's subscription is answered", () -> {
            if (System.nanoTime() - lastTry[0] < PACE_NANOS) {
                return false;
            }
            lastTry[0] = System.nanoTime();
            bobOnB.send(subscribe(1));
            Map<String, Object> answer = bobOnB.nextJson();
            if ("server_error".equals(answer.get("code"))) {
                return false;
            }
            assertEquals(Map.of("type", "PRESENCE", "user_id", 1L, "status", "offline"), answer);
            return true;
        });
        a.connect(1);
        assertPresence(bobOnB, 1, "online"); // published by node A on the restarted shard, heard by node B
        awaitStatus(a, 1, "online");
    }

    @Test
    void afterThePresenceSlotMovesToAnotherShardTheNodesFollowIt() throws IOException {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(1, 1, 2);
        WsClient bobOnB = b.connect(2);
        bobOnB.send(subscribe(1));
        assertPresence(bobOnB, 1, "offline");
        WsClient annOnA = a.connect(1);
        assertPresence(bobOnB, 1, "online");

        RedisServer from = presenceShard();
        RedisServer to =
                cluster.masters().stream().filter(m -> m != from).findFirst().orElseThrow();
        moveSlot("{inbox:presence}:nodes", from, to);
        assertEquals(to, presenceShard());

        // The nodes hear MOVED on their next presence command and connect to the new owner; Ann's leaving is told
        // through it, a debounce after she closes.
        annOnA.close();
        awaitStatus(b, 1, "offline");
        for (Map<String, Object> frame = bobOnB.nextJson(); ; frame = bobOnB.nextJson()) {
            assertEquals("PRESENCE", frame.get("type"), frame.toString());
            if ("offline".equals(frame.get("status"))) {
                break; // a reconnect may first tell Bob again that Ann is online: a repeat, not a change
            }
        }
        awaitPresenceConnections(to, 2, "on the new owner");
    }

    /** Waits until {@code master} has {@code n} presence connections (named {@code inbox-presence}) open to it. */
    private static void awaitPresenceConnections(RedisServer master, int n, String where) {
        GatewayFixture.await(n + " presence connections " + where, () -> {
            try {
                return master.bulkLines("CLIENT LIST").stream()
                                .filter(l -> l.contains("name=inbox-presence"))
                                .count()
                        == n;
            } catch (IOException e) {
                return false; // still starting
            }
        });
    }

    /** Moves the slot of {@code key}, with its keys, from one master to another, as a resharding does. */
    private void moveSlot(String key, RedisServer from, RedisServer to) throws IOException {
        String slot = from.command("CLUSTER KEYSLOT " + key).substring(1);
        String fromId = from.bulkLines("CLUSTER MYID").get(0).trim();
        String toId = to.bulkLines("CLUSTER MYID").get(0).trim();
        assertEquals("+OK", to.command("CLUSTER SETSLOT " + slot + " IMPORTING " + fromId));
        assertEquals("+OK", from.command("CLUSTER SETSLOT " + slot + " MIGRATING " + toId));
        List<String> keys = from.arrayReply("CLUSTER GETKEYSINSLOT " + slot + " 1000");
        if (!keys.isEmpty()) {
            assertEquals(
                    "+OK",
                    from.command("MIGRATE 127.0.0.1 " + to.port() + " \"\" 0 5000 KEYS " + String.join(" ", keys)));
        }
        for (RedisServer m : cluster.masters()) {
            assertEquals("+OK", m.command("CLUSTER SETSLOT " + slot + " NODE " + toId));
        }
    }
}
