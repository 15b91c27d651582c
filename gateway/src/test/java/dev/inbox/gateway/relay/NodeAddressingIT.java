package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.gateway.testing.RedisNodes;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.WsClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What Redis publishes on a standalone server, watched by a client of the test's own: one envelope per other node
 * that has recipients, listing them, and nothing to the sending node or to user channels; and the entry of a node
 * that is gone is removed by the first publication nobody hears.
 */
class NodeAddressingIT {
    @RegisterExtension
    final RedisNodes cluster = new RedisNodes("--redis-timeout", "2s");

    private RedisServer redis;

    @BeforeEach
    void redis() {
        redis = cluster.redis();
    }

    private GatewayFixture node() {
        return cluster.node();
    }

    private List<String> nodesOf(long user) throws IOException {
        List<String> members = new ArrayList<>(
                redis.arrayReply("SMEMBERS " + new String(NodeRegistry.key(user), StandardCharsets.US_ASCII)));
        members.sort(null);
        return members;
    }

    @Test
    void aMessageIsPublishedOnceToTheOtherNodeWithItsRecipientsOnly() throws Exception {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(1, 1, 2, 3, 4);
        WsClient ann = a.connect(1);
        WsClient bob = a.connect(2);
        WsClient cat = b.connect(3);
        WsClient dan = b.connect(4);
        for (long user = 1; user <= 4; user++) {
            long u = user;
            GatewayFixture.await("user " + u + " reachable", () -> ReachableNodes.is(redis, u, 1));
        }
        String nodeA = nodesOf(1).get(0);
        String nodeB = nodesOf(3).get(0);
        assertNotEquals(nodeA, nodeB);
        assertEquals(List.of(nodeA), nodesOf(2));
        assertEquals(List.of(nodeB), nodesOf(4));

        List<String[]> published = new CopyOnWriteArrayList<>(); // {channel, recipients, frame's JSON}
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisPubSubConnection<byte[], byte[]> watch = client.connectPubSub(ByteArrayCodec.INSTANCE)) {
            watch.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(byte[] pattern, byte[] channel, byte[] envelope) {
                    String recipients = RelayEnvelope.addressed(envelope)
                            ? Arrays.toString(RelayEnvelope.recipients(envelope))
                            : "not addressed";
                    String text = new String(envelope, StandardCharsets.UTF_8);
                    published.add(new String[] {
                        new String(channel, StandardCharsets.US_ASCII), recipients, text.substring(text.indexOf('{'))
                    });
                }
            });
            watch.sync().psubscribe("inbox:*".getBytes(StandardCharsets.US_ASCII));

            for (int i = 1; i <= 3; i++) {
                ann.send(RelayIT.text(1, "m" + i));
                assertEquals("m" + i, ann.nextJson().get("message"));
                assertEquals("m" + i, bob.nextJson().get("message"), "from node A itself, not through Redis");
                assertEquals("m" + i, cat.nextJson().get("message"));
                assertEquals("m" + i, dan.nextJson().get("message"));
                int seen = i;
                // Redis writes to this watcher in the order it ran the scripts: anything else published for m1 and
                // m2 would be here before m3's publication.
                GatewayFixture.await(seen + " publications watched", () -> published.size() >= seen);
            }
        } finally {
            client.shutdown(0, 2, TimeUnit.SECONDS);
        }
        assertEquals(3, published.size(), "one publication per message");
        for (int i = 0; i < 3; i++) {
            String[] p = published.get(i);
            assertEquals("inbox:n:" + nodeB, p[0], "to node B only: A delivers to its own users");
            assertTrue(p[1].equals("[3, 4]") || p[1].equals("[4, 3]"), "B's members, listed: " + p[1]);
            assertTrue(p[2].contains("\"message\":\"m" + (i + 1) + "\""), p[2]);
        }
    }

    @Test
    void aGoneNodesEntryIsRemovedByThePublicationNobodyHeardAndALeavingUsersByItsNode() throws Exception {
        GatewayFixture a = node();
        a.members(1, 1, 2);
        WsClient ann = a.connect(1);
        WsClient bob = a.connect(2);
        GatewayFixture.await("bob reachable", () -> ReachableNodes.is(redis, 2, 1));
        String nodeA = nodesOf(2).get(0);
        String gone = "00000000deadbeef";
        redis.command("SADD " + new String(NodeRegistry.key(2), StandardCharsets.US_ASCII) + " " + gone);
        assertEquals(Set.of(gone, nodeA), Set.copyOf(nodesOf(2)));

        ann.send(RelayIT.text(1, "hello"));
        assertEquals("hello", ann.nextJson().get("message"));
        assertEquals("hello", bob.nextJson().get("message"));
        assertEquals(List.of(nodeA), nodesOf(2), "removed by the script that admitted the message");

        bob.close();
        GatewayFixture.await("bob's entry gone with his connection", () -> {
            try {
                return nodesOf(2).isEmpty();
            } catch (IOException e) {
                return false;
            }
        });
        assertEquals(List.of(nodeA), nodesOf(1), "ann is still here");
        assertArrayEquals(new int[] {1, 0}, ReachableNodes.of(redis, List.of(1L, 2L)));
    }
}
