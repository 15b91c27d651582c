package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.RedisClusterServers;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Gateway nodes on a three-master Redis Cluster the test makes: relay over sharded pub/sub. */
class ClusterRelayIT {
    private RedisClusterServers cluster;
    private final List<GatewayFixture> nodes = new ArrayList<>();

    @BeforeEach
    void start() {
        cluster = RedisClusterServers.start();
    }

    @AfterEach
    void stop() {
        for (GatewayFixture n : nodes) {
            n.close();
        }
        cluster.close();
    }

    private GatewayFixture node() {
        GatewayFixture n = GatewayFixture.start(
                        "--redis", cluster.uri(), "--redis-ping-interval", "500ms", "--redis-timeout", "2s")
                .awaitReady();
        nodes.add(n);
        return n;
    }

    /** The sharded channels each master serves, as the shards themselves report them. */
    private List<Set<String>> shardChannels() {
        List<Set<String>> out = new ArrayList<>();
        for (RedisServer m : cluster.masters()) {
            try {
                out.add(new HashSet<>(m.arrayReply("PUBSUB SHARDCHANNELS inbox:u:*")));
            } catch (IOException e) {
                out.add(Set.of());
            }
        }
        return out;
    }

    @Test
    void crossNodeDeliveryGoesThroughShardedPubSubSpreadOverTheShards() throws IOException {
        GatewayFixture a = node();
        GatewayFixture b = node();
        int users = 12;
        long[] ids = new long[users];
        for (int i = 0; i < users; i++) {
            ids[i] = i + 1;
        }
        a.members(1, ids);
        List<WsClient> clients = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            clients.add((i % 2 == 0 ? a : b).connect(ids[i]));
        }
        GatewayFixture.await(
                "every user channel is subscribed on its shard",
                () -> shardChannels().stream().mapToInt(Set::size).sum() == users);
        List<Set<String>> shards = shardChannels();
        assertTrue(
                shards.stream().filter(s -> !s.isEmpty()).count() >= 2,
                "relay traffic spreads over the shards: " + shards);
        for (RedisServer m : cluster.masters()) {
            assertEquals(
                    List.of(),
                    m.arrayReply("PUBSUB CHANNELS inbox:*"),
                    "nothing on classic pub/sub, which the cluster bus would copy to every shard");
        }

        clients.get(0).send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"from A\"}");
        clients.get(1).send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"from B\"}");
        for (WsClient c : clients) {
            Set<Object> got = Set.of(c.nextJson().get("message"), c.nextJson().get("message"));
            assertEquals(Set.of("from A", "from B"), got);
        }
        for (WsClient c : clients) {
            c.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"last\"}");
            break;
        }
        for (WsClient c : clients) {
            Map<String, Object> last = c.nextJson();
            assertEquals("last", last.get("message"));
            assertEquals(0, c.pending(), "each message exactly once on each connection");
        }
    }

    @Test
    void messagesLandInThePartitionStreamsInOrderPerConversationSpreadOverTheShards() throws IOException {
        GatewayFixture a = node();
        GatewayFixture b = node();
        int conversations = 8;
        for (long c = 1; c <= conversations; c++) {
            a.members(c, 1, 2);
        }
        WsClient ann = a.connect(1);
        WsClient bob = b.connect(2);
        GatewayFixture.await(
                "both channels subscribed",
                () -> shardChannels().stream().mapToInt(Set::size).sum() == 2);
        int perSender = 40;
        for (int i = 0; i < perSender; i++) {
            ann.send("{\"type\":\"TEXT\",\"conversation_id\":" + (1 + i % conversations) + ",\"message\":\"a" + i
                    + "\"}");
            bob.send("{\"type\":\"TEXT\",\"conversation_id\":" + (1 + i % conversations) + ",\"message\":\"b" + i
                    + "\"}");
        }
        Map<Long, List<Long>> delivered = new java.util.HashMap<>();
        for (int i = 0; i < 2 * perSender; i++) {
            Map<String, Object> e = bob.nextJson();
            delivered
                    .computeIfAbsent((Long) e.get("conversation_id"), c -> new ArrayList<>())
                    .add((Long) e.get("message_id"));
        }

        io.lettuce.core.cluster.RedisClusterClient client = io.lettuce.core.cluster.RedisClusterClient.create(
                cluster.uri().replace("redis+cluster://", "redis://").replaceAll(",.*", ""));
        try (var connection = client.connect()) {
            var redis = connection.sync();
            Set<String> streams = redis.smembers(RedisKeys.STREAMS);
            assertEquals(16, streams.size());
            Map<Long, List<Long>> inOutbox = new java.util.HashMap<>();
            for (String stream : streams) {
                for (var m : redis.xrange(stream, io.lettuce.core.Range.create("-", "+"))) {
                    inOutbox.computeIfAbsent(Long.parseLong(m.getBody().get("conversation_id")), c -> new ArrayList<>())
                            .add(Long.parseLong(m.getBody().get("message_id")));
                }
            }
            for (Map.Entry<Long, List<Long>> e : inOutbox.entrySet()) {
                List<Long> sorted = new ArrayList<>(e.getValue());
                sorted.sort(null);
                assertEquals(sorted, e.getValue(), "conversation " + e.getKey() + " in message_id order");
                assertEquals(
                        new HashSet<>(delivered.get(e.getKey())),
                        new HashSet<>(e.getValue()),
                        "what was delivered is what is in the outbox");
            }
            assertEquals(delivered.keySet(), inOutbox.keySet());
        } finally {
            client.shutdown();
        }
        int shardsWithEntries = 0;
        for (RedisServer m : cluster.masters()) {
            if (!m.arrayReply("KEYS inbox:*:outbox").isEmpty()) {
                shardsWithEntries++;
            }
        }
        assertTrue(shardsWithEntries >= 2, "the outbox spreads over the shards: " + shardsWithEntries);
    }

    @Test
    @SuppressWarnings("unchecked")
    void eachConversationsHistoryOnItsShardIsWhatMembersReceivedInOrder() {
        GatewayFixture a = node();
        GatewayFixture b = node();
        int conversations = 8;
        for (long c = 1; c <= conversations; c++) {
            a.members(c, 1, 2);
        }
        WsClient ann = a.connect(1);
        WsClient bob = b.connect(2);
        GatewayFixture.await(
                "both channels subscribed",
                () -> shardChannels().stream().mapToInt(Set::size).sum() == 2);
        int sent = 40;
        for (int i = 0; i < sent; i++) {
            ann.send("{\"type\":\"TEXT\",\"conversation_id\":" + (1 + i % conversations) + ",\"message\":\"a" + i
                    + "\"}");
        }
        Map<Long, List<Map<String, Object>>> received = new java.util.HashMap<>();
        for (int i = 0; i < sent; i++) {
            Map<String, Object> e = bob.nextJson();
            received.computeIfAbsent((Long) e.get("conversation_id"), c -> new ArrayList<>())
                    .add(e);
        }
        for (long c = 1; c <= conversations; c++) {
            bob.send("{\"type\":\"HISTORY\",\"conversation_id\":" + c + "}");
            Map<String, Object> page = bob.nextJson();
            assertEquals("HISTORY", page.get("type"), page::toString);
            assertEquals(received.get(c), page.get("events"), "conversation " + c);
            assertEquals(false, page.get("trimmed"));
        }
    }

    @Test
    void membershipIsSharedAndNonMembersGetNothing() {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(2, 1, 2);
        WsClient ann = a.connect(1);
        WsClient bob = b.connect(2);
        WsClient eve = b.connect(3);
        GatewayFixture.await(
                "three channels subscribed",
                () -> shardChannels().stream().mapToInt(Set::size).sum() == 3);
        ann.send("{\"type\":\"TEXT\",\"conversation_id\":2,\"message\":\"secret\"}");
        assertEquals("secret", bob.nextJson().get("message"));
        b.members(2, 1, 2, 3);
        ann.send("{\"type\":\"TEXT\",\"conversation_id\":2,\"message\":\"public\"}");
        assertEquals("public", eve.nextJson().get("message"));
        assertEquals(0, eve.pending());
    }
}
