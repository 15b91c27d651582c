package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.PrometheusText;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Idempotent sends over real sockets: a message resent with the same {@code client_msg_id} by the same sender to the
 * same conversation within {@code --dedup-window} is acknowledged with the original {@code message_id} and
 * delivered to no one again; on a single node (the in-memory store) and with a real redis-server (the key beside
 * the admission step), across reconnects and across nodes.
 */
class ResendIT {
    private static final long ALICE = 1;
    private static final long BOB = 2;
    private static final long CAROL = 3;
    private static final long CONVERSATION = 70;
    private static final long OTHER_CONVERSATION = 71;

    private RedisServer redis;
    private final List<GatewayFixture> nodes = new ArrayList<>();

    @AfterEach
    void stop() {
        for (GatewayFixture n : nodes) {
            n.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** A node: with a redis-server of the test's own when {@code clustered}, else in memory. */
    private GatewayFixture node(boolean clustered, String... flags) {
        List<String> args = new ArrayList<>();
        if (clustered) {
            if (redis == null) {
                redis = RedisServer.start();
            }
            args.addAll(List.of("--redis", redis.uri(), "--redis-ping-interval", "500ms"));
        }
        args.addAll(List.of(flags));
        GatewayFixture n = GatewayFixture.start(args.toArray(new String[0])).awaitReady();
        nodes.add(n);
        return n;
    }

    private static String text(long conversationId, String message, String clientMsgId) {
        return "{\"type\":\"TEXT\",\"conversation_id\":" + conversationId + ",\"message\":\"" + message
                + "\",\"client_msg_id\":\"" + clientMsgId + "\"}";
    }

    /** Sends and reads the acknowledgement, checking it is one: the event with this {@code client_msg_id}. */
    private static Map<String, Object> sendForAck(WsClient c, long conversationId, String message, String cmid) {
        c.send(text(conversationId, message, cmid));
        Map<String, Object> ack = c.nextJson();
        assertEquals("TEXT", ack.get("type"), ack.toString());
        assertEquals(cmid, ack.get("client_msg_id"), ack.toString());
        assertEquals(conversationId, ack.get("conversation_id"));
        return ack;
    }

    private static long id(Map<String, Object> event) {
        return (Long) event.get("message_id");
    }

    /** Waits until user {@code userId} is subscribed on {@code subscribers} nodes, so relayed messages reach them. */
    private void awaitSubscribers(long userId, int subscribers) {
        GatewayFixture.await(
                "user " + userId + " subscribed on " + subscribers + " node(s)",
                () -> ReachableNodes.is(redis, userId, subscribers));
    }

    /**
     * {@code reader}'s next event is {@code marker}, sent after everything else: nothing else (no second copy) was
     * delivered to it before, since a conversation's events arrive in {@code message_id} order.
     */
    private static void nextIsMarker(WsClient reader, String marker) {
        Map<String, Object> next = reader.nextJson();
        assertEquals(marker, next.get("message"), "expected only the marker, got " + next);
    }

    private static double meter(GatewayFixture node, String name) {
        return new PrometheusText(node.admin("GET", "/metrics", null, false).body()).value(name);
    }

    @ParameterizedTest(name = "clustered={0}")
    @ValueSource(booleans = {false, true})
    void aResendAfterALostAckGetsTheOriginalIdAndIsDeliveredOnce(boolean clustered) {
        GatewayFixture node = node(clustered);
        node.members(CONVERSATION, ALICE, BOB);
        WsClient bob = node.connect(BOB);
        WsClient alice = node.connect(ALICE);
        if (clustered) {
            awaitSubscribers(BOB, 1);
        }

        alice.send(text(CONVERSATION, "hello", "tab1-1"));
        Map<String, Object> delivered = bob.nextJson();
        assertEquals("hello", delivered.get("message"));
        // The acknowledgement is lost with the connection: never read, the socket dropped.
        alice.socket().abort();

        WsClient again = node.connect(ALICE);
        Map<String, Object> ack = sendForAck(again, CONVERSATION, "hello", "tab1-1");
        assertEquals(id(delivered), id(ack), "the original message_id");
        assertEquals(delivered.get("created_at"), ack.get("created_at"), "the original created_at");
        assertEquals("hello", ack.get("message"));

        Map<String, Object> after = sendForAck(again, CONVERSATION, "after", "tab1-2");
        assertTrue(id(after) > id(delivered));
        nextIsMarker(bob, "after");
        assertEquals(1.0, meter(node, "inbox_messages_resent_total"));
    }

    @Test
    void aResendThroughAnotherNodeSharingTheRedisGetsTheOriginalId() {
        GatewayFixture a = node(true);
        GatewayFixture b = node(true);
        a.members(CONVERSATION, ALICE, BOB);
        WsClient bob = b.connect(BOB);
        WsClient alice = a.connect(ALICE);
        awaitSubscribers(BOB, 1);
        awaitSubscribers(ALICE, 1);

        Map<String, Object> first = sendForAck(alice, CONVERSATION, "hi", "phone-7");
        assertEquals(id(first), id(bob.nextJson()));
        alice.socket().abort();
        WsClient aliceOnB = b.connect(ALICE);

        Map<String, Object> ack = sendForAck(aliceOnB, CONVERSATION, "hi", "phone-7");
        assertEquals(id(first), id(ack));
        assertEquals(first.get("created_at"), ack.get("created_at"));
        sendForAck(aliceOnB, CONVERSATION, "marker", "phone-8");
        nextIsMarker(bob, "marker");
        assertEquals(1.0, meter(b, "inbox_messages_resent_total"), "counted where the resend arrived");
        assertEquals(0.0, meter(a, "inbox_messages_resent_total"));
    }

    @ParameterizedTest(name = "clustered={0}")
    @ValueSource(booleans = {false, true})
    void afterTheWindowTheSameClientMsgIdIsANewMessage(boolean clustered) {
        GatewayFixture node = node(clustered, "--dedup-window", "300ms");
        node.members(CONVERSATION, ALICE, BOB);
        WsClient bob = node.connect(BOB);
        WsClient alice = node.connect(ALICE);
        if (clustered) {
            awaitSubscribers(BOB, 1);
        }
        long original = id(sendForAck(alice, CONVERSATION, "again", "x"));
        assertEquals(original, id(bob.nextJson()));

        // Resent until it is no longer recognised: every resend before that got the original id and no delivery.
        long[] latest = {original};
        GatewayFixture.await("the window ends", () -> {
            latest[0] = id(sendForAck(alice, CONVERSATION, "again", "x"));
            return latest[0] != original;
        });
        assertTrue(latest[0] > original);
        Map<String, Object> second = bob.nextJson();
        assertEquals(latest[0], id(second), "delivered as a new message, once, with its new id");
        sendForAck(alice, CONVERSATION, "marker", "y");
        nextIsMarker(bob, "marker");
    }

    @ParameterizedTest(name = "clustered={0}")
    @ValueSource(booleans = {false, true})
    void otherSendersAndOtherConversationsWithTheSameClientMsgIdAreIndependent(boolean clustered) {
        GatewayFixture node = node(clustered);
        node.members(CONVERSATION, ALICE, BOB, CAROL);
        node.members(OTHER_CONVERSATION, ALICE, CAROL);
        WsClient alice = node.connect(ALICE);
        WsClient bob = node.connect(BOB);
        WsClient carol = node.connect(CAROL);
        if (clustered) {
            awaitSubscribers(CAROL, 1);
            awaitSubscribers(BOB, 1);
            awaitSubscribers(ALICE, 1);
        }
        long fromAlice = id(sendForAck(alice, CONVERSATION, "a", "same"));
        long fromBob = id(bob.nextJson());
        assertEquals(fromAlice, fromBob, "bob received alice's message");
        long bobsOwn = id(sendForAck(bob, CONVERSATION, "b", "same"));
        assertEquals(bobsOwn, id(alice.nextJson()), "alice received bob's message");
        long elsewhere = id(sendForAck(alice, OTHER_CONVERSATION, "c", "same"));

        assertNotEquals(fromAlice, bobsOwn, "another sender's client_msg_id is its own");
        assertEquals("a", carol.nextJson().get("message"));
        assertEquals("b", carol.nextJson().get("message"));
        Map<String, Object> third = carol.nextJson();
        assertEquals("c", third.get("message"), "another conversation's message is new");
        assertEquals(elsewhere, id(third));
    }

    @Test
    void theSingleNodeForgetsTheOldestWhenFullAndCountsIt() {
        GatewayFixture node = node(false, "--dedup-max-entries", "2");
        node.members(CONVERSATION, ALICE, BOB);
        WsClient bob = node.connect(BOB);
        WsClient alice = node.connect(ALICE);
        long one = id(sendForAck(alice, CONVERSATION, "1", "one"));
        long two = id(sendForAck(alice, CONVERSATION, "2", "two"));
        long three = id(sendForAck(alice, CONVERSATION, "3", "three"));
        for (String m : List.of("1", "2", "3")) {
            assertEquals(m, bob.nextJson().get("message"));
        }
        assertEquals(1.0, meter(node, "inbox_dedup_evicted_total"), "'one' made room for 'three'");

        assertEquals(three, id(sendForAck(alice, CONVERSATION, "3", "three")), "still remembered");
        assertEquals(two, id(sendForAck(alice, CONVERSATION, "2", "two")), "still remembered");
        long oneAgain = id(sendForAck(alice, CONVERSATION, "1", "one"));
        assertTrue(oneAgain > three, "forgotten early: a new message, as documented");
        assertNotEquals(one, oneAgain);
        Map<String, Object> redelivered = bob.nextJson();
        assertEquals("1", redelivered.get("message"));
        assertEquals(oneAgain, id(redelivered));
        sendForAck(alice, CONVERSATION, "marker", "marker");
        nextIsMarker(bob, "marker");
    }

    @ParameterizedTest(name = "clustered={0}")
    @ValueSource(booleans = {false, true})
    void aZeroWindowDeliversEveryResend(boolean clustered) {
        GatewayFixture node = node(clustered, "--dedup-window", "0");
        node.members(CONVERSATION, ALICE, BOB);
        WsClient bob = node.connect(BOB);
        WsClient alice = node.connect(ALICE);
        if (clustered) {
            awaitSubscribers(BOB, 1);
        }
        long first = id(sendForAck(alice, CONVERSATION, "twice", "t"));
        long second = id(sendForAck(alice, CONVERSATION, "twice", "t"));
        assertTrue(second > first);
        assertEquals(first, id(bob.nextJson()));
        assertEquals(second, id(bob.nextJson()));
    }

    @Test
    void aClientMsgIdCannotReachAnotherKey() throws IOException {
        GatewayFixture node = node(true);
        node.members(CONVERSATION, ALICE, BOB);
        WsClient alice = node.connect(ALICE);
        // Key syntax of every kind: a hash tag, the separator, another key's name, glob and encoding characters.
        String hostile = "x}:{o0.0}:c:" + CONVERSATION + ":seq*%+{";
        long first = id(sendForAck(alice, CONVERSATION, "h", hostile));
        assertEquals(first, id(sendForAck(alice, CONVERSATION, "h", hostile)), "recognised like any other");

        List<String> keys = redis.arrayReply("KEYS *:dedup:*");
        assertEquals(1, keys.size(), keys.toString());
        String key = keys.get(0);
        String ours = ":c:" + CONVERSATION + ":dedup:" + ALICE + ":";
        assertTrue(key.startsWith("inbox:{o") && key.contains(ours), key);
        assertEquals("x%7D%3A%7Bo0.0%7D%3Ac%3A70%3Aseq*%25%2B%7B", key.substring(key.indexOf(ours) + ours.length()));
        String seq = key.substring(0, key.indexOf(":dedup:")) + ":seq";
        assertEquals(List.of(Long.toString(first)), redis.bulkLines("GET " + seq), "the conversation's own seq");
        long ttl = Long.parseLong(redis.command("PTTL " + key).substring(1));
        assertTrue(ttl > 0 && ttl <= 120_000, "expires with the default window of 2 minutes: " + ttl);
    }
}
