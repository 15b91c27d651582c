package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.receipts.ReadEventsSeen;
import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.gateway.testing.RedisNodes;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** TYPING and READ across two nodes in this JVM on one real redis-server of the test's own. */
class TypingAndReadsAcrossNodesIT {
    @RegisterExtension
    final RedisNodes cluster = new RedisNodes("--redis-timeout", "2s");

    private RedisServer redis;

    @BeforeEach
    void redis() {
        redis = cluster.redis();
    }

    private GatewayFixture node(String... flags) {
        return cluster.node(flags);
    }

    private void awaitSubscribers(long userId, int subscribers) {
        GatewayFixture.await(
                "user " + userId + " is reachable on " + subscribers + " node(s)",
                () -> ReachableNodes.is(redis, userId, subscribers));
    }

    private static String typing(long c) {
        return "{\"type\":\"TYPING\",\"conversation_id\":" + c + "}";
    }

    private static String read(long c, long m) {
        return "{\"type\":\"READ\",\"conversation_id\":" + c + ",\"message_id\":" + m + "}";
    }

    @Test
    void typingReachesTheOtherMembersOnBothNodesAndNoConnectionOfTheSender() {
        GatewayFixture a = node("--typing-interval", "1h");
        GatewayFixture b = node("--typing-interval", "1h");
        a.members(1, 1, 2, 3);
        WsClient ann = a.connect(1);
        WsClient annOnB = b.connect(1);
        WsClient bob = b.connect(2);
        WsClient cat = a.connect(3);
        awaitSubscribers(1, 2);
        awaitSubscribers(2, 1);

        for (int i = 0; i < 3; i++) {
            ann.send(typing(1));
        }
        Map<String, Object> expected =
                Map.of("type", "TYPING", "conversation_id", 1L, "sender_id", 1L, "sender_name", "User 1");
        assertEquals(expected, bob.nextJson(), "relayed to the other node");
        assertEquals(expected, cat.nextJson(), "delivered on the sender's node");
        GatewayFixture.await(
                "two TYPING coalesced on node A",
                () -> a.admin("GET", "/metrics", null, false)
                        .body()
                        .contains("inbox_typing_dropped_total{reason=\"coalesced\"} 2.0"));

        ann.send(RelayIT.text(1, "marker"));
        assertEquals("marker", ann.nextJson().get("message"));
        assertEquals("marker", annOnB.nextJson().get("message"), "Ann's tab on B never saw her own TYPING");
        assertEquals("marker", bob.nextJson().get("message"), "the extras were not forwarded");
        assertEquals("marker", cat.nextJson().get("message"));
        String bMetrics = b.admin("GET", "/metrics", null, false).body();
        assertTrue(
                bMetrics.contains("inbox_deliveries_total{path=\"relayed\"} 2.0"),
                "the relayed TYPING is not counted as a delivered message: " + bMetrics);
    }

    @Test
    void aReadMovesForwardOnlyInRedisAndReachesEveryTabOnBothNodes() throws IOException {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(1, 1, 2);
        WsClient ann = a.connect(1);
        WsClient bobOnA = a.connect(2);
        WsClient bobOnB = b.connect(2);
        WsClient annOnB = b.connect(1);
        awaitSubscribers(1, 2);
        awaitSubscribers(2, 2);
        long[] ids = new long[3];
        for (int i = 0; i < 3; i++) {
            ann.send(RelayIT.text(1, "m" + i));
            ids[i] = (Long) ann.nextJson().get("message_id");
            assertEquals(ids[i], bobOnA.nextJson().get("message_id"));
            assertEquals(ids[i], bobOnB.nextJson().get("message_id"));
            assertEquals(ids[i], annOnB.nextJson().get("message_id"));
        }

        bobOnA.send(read(1, ids[1]));
        Map<String, Object> event = Map.of("type", "READ", "conversation_id", 1L, "user_id", 2L, "message_id", ids[1]);
        assertEquals(event, bobOnA.nextJson());
        assertEquals(event, bobOnB.nextJson(), "Bob's tab on the other node");
        assertEquals(event, ann.nextJson());
        assertEquals(event, annOnB.nextJson());
        byte[] readsKey = new RedisKeys(16).reads(1)[4];
        assertEquals(
                Long.toString(ids[1]),
                redis.bulkLines("HGET " + new String(readsKey, StandardCharsets.US_ASCII) + " 2")
                        .get(0));

        bobOnB.send(read(1, ids[0])); // behind, through the other node: a no-op
        bobOnB.send(read(1, ids[2] + 1));
        Map<String, Object> error = bobOnB.nextJson();
        assertEquals("bad_read_position", error.get("code"), error.toString());
        bobOnB.send("{\"type\":\"READS\",\"conversation_id\":1}");
        Map<String, Object> answer = bobOnB.nextJson();
        assertEquals(List.of(Map.of("user_id", 2L, "message_id", ids[1])), answer.get("positions"));
        assertEquals(1L, answer.get("unread"));
        bobOnB.send("{\"type\":\"UNREAD\"}");
        assertEquals(
                List.of(Map.of("conversation_id", 1L, "unread", 1L)),
                bobOnB.nextJson().get("conversations"));

        // The outbox has the READ beside the messages, for the backend.
        String stream = new String(new RedisKeys(16).reads(1)[3], StandardCharsets.US_ASCII);
        List<String> entries = redis.commandLines("XREVRANGE " + stream + " + - COUNT 1", 25);
        String last = String.join(" ", entries);
        assertTrue(last.contains("READ") && last.contains(Long.toString(ids[1])), last);

        ann.send(RelayIT.text(1, "marker"));
        ann.nextJson();
        assertEquals("marker", bobOnA.nextJson().get("message"), "the no-op and refused READs sent nothing");
        assertEquals("marker", annOnB.nextJson().get("message"));
    }

    /** Ann on node A sends {@code n} messages; every connection in {@code drain} takes them; the ids. */
    private static long[] annSends(WsClient ann, int n, WsClient... drain) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ann.send(RelayIT.text(1, "m" + i));
            ids[i] = (Long) ann.nextJson().get("message_id");
            for (WsClient c : drain) {
                assertEquals(ids[i], c.nextJson().get("message_id"));
            }
        }
        return ids;
    }

    private static Map<String, Object> readEvent(long userId, long messageId) {
        return Map.of("type", "READ", "conversation_id", 1L, "user_id", userId, "message_id", messageId);
    }

    @Test
    void readsWithinTheIntervalAreOneEventOnBothNodesPublishedByTheNodeThatTookThem() {
        long intervalMs = 2000;
        GatewayFixture a = node("--read-interval", intervalMs + "ms");
        GatewayFixture b = node("--read-interval", intervalMs + "ms");
        a.members(1, 1, 2);
        WsClient ann = a.connect(1);
        WsClient bobOnA = a.connect(2);
        WsClient bobOnB = b.connect(2);
        WsClient annOnB = b.connect(1);
        awaitSubscribers(1, 2);
        awaitSubscribers(2, 2);
        long[] ids = annSends(ann, 10, bobOnA, bobOnB, annOnB);

        bobOnA.send(read(1, ids[0]));
        assertEquals(readEvent(2, ids[0]), annOnB.nextJson(), "the first move is relayed at once");
        long firstAt = System.nanoTime();
        for (int i = 1; i < ids.length; i++) {
            bobOnA.send(read(1, ids[i]));
        }
        bobOnA.send("{\"type\":\"READS\",\"conversation_id\":1}");
        assertEquals(readEvent(2, ids[0]), bobOnA.nextJson());
        Map<String, Object> answer = bobOnA.nextJson();
        assertEquals("READS", answer.get("type"), "the later moves are held on A, not sent one by one: " + answer);
        assertEquals(
                List.of(Map.of("user_id", 2L, "message_id", ids[9])),
                answer.get("positions"),
                "the position in Redis moved at once");

        assertEquals(readEvent(2, ids[0]), bobOnB.nextJson());
        for (WsClient c : List.of(bobOnB, annOnB)) {
            assertEquals(readEvent(2, ids[9]), c.nextJson(), "the newest, as the one event for the rest");
        }
        long lagMs = (System.nanoTime() - firstAt) / 1_000_000;
        assertTrue(lagMs < intervalMs + 1500, "the held position went at the window's end, not " + lagMs + " ms later");
        assertEquals(readEvent(2, ids[9]), bobOnA.nextJson());
        assertEquals(List.of(ids[0], ids[9]), ReadEventsSeen.until(ann, 2, ids[9], ids), "on A likewise");

        ann.send(RelayIT.text(1, "marker"));
        assertEquals("marker", ann.nextJson().get("message"));
        for (WsClient c : List.of(bobOnA, bobOnB, annOnB)) {
            assertEquals("marker", c.nextJson().get("message"), "nothing else was sent");
        }
        String aMetrics = a.admin("GET", "/metrics", null, false).body();
        assertTrue(aMetrics.contains("inbox_events_forwarded_total{type=\"read\"} 2.0"), aMetrics);
        assertTrue(aMetrics.contains("inbox_read_events_coalesced_total 8.0"), aMetrics);
        String bMetrics = b.admin("GET", "/metrics", null, false).body();
        assertTrue(bMetrics.contains("inbox_read_events_coalesced_total 0.0"), "B only passes them on: " + bMetrics);
    }

    @Test
    void aBurstOfReadsReachesTheOtherNodeNeverGoingBackAndEndingAtTheLast() {
        GatewayFixture a = node(); // the default interval, 1 s
        GatewayFixture b = node();
        a.members(1, 1, 2);
        WsClient ann = a.connect(1);
        WsClient bobOnA = a.connect(2);
        WsClient annOnB = b.connect(1);
        awaitSubscribers(1, 2);
        awaitSubscribers(2, 1);
        long[] ids = annSends(ann, 30, bobOnA, annOnB);

        for (long id : ids) {
            bobOnA.send(read(1, id));
        }
        long last = ids[ids.length - 1];
        List<Long> onB = ReadEventsSeen.until(annOnB, 2, last, ids);
        List<Long> onA = ReadEventsSeen.until(ann, 2, last, ids);
        assertEquals(ids[0], onB.get(0), "the first move went at once");
        assertEquals(onA, onB, "both nodes saw the same events");
        assertTrue(onB.size() < ids.length, "30 READs in a burst made fewer events: " + onB);
        ann.send(RelayIT.text(1, "marker"));
        assertEquals("marker", annOnB.nextJson().get("message"), "nothing after the last position");
    }

    @Test
    void typingIsShedWithoutAWordWhileRedisIsUnreachableAndMessagesAreRefusedAsBefore() {
        GatewayFixture a = node();
        a.members(1, 1, 2);
        WsClient ann = a.connect(1);
        WsClient bob = a.connect(2);
        redis.kill();
        GatewayFixture.await("the node notices Redis is gone", () -> a.readyz() == 503);

        ann.send(typing(1));
        GatewayFixture.await(
                "the TYPING is shed",
                () -> a.admin("GET", "/metrics", null, false)
                        .body()
                        .contains("inbox_typing_dropped_total{reason=\"shed\"} 1.0"));
        ann.send(RelayIT.text(1, "while down"));
        assertEquals("relay_unavailable", ann.nextJson().get("code"), "a message is refused, the TYPING was not");
        assertEquals(0, bob.pending(), "Bob got neither");
    }

    @Test
    void aStrangersReadAndTypingAreRefusedAsForAMessage() {
        GatewayFixture a = node();
        a.members(1, 1, 2);
        WsClient eve = a.connect(9);
        eve.send(read(1, 1_000_000_000_000_001L));
        assertEquals("not_a_member", eve.nextJson().get("code"));
        eve.send(typing(1));
        assertEquals("not_a_member", eve.nextJson().get("code"));
    }
}
