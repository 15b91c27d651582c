package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.gateway.testing.RedisNodes;
import dev.inbox.testkit.Json;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Several gateway nodes in this JVM and one real redis-server of the test's own. */
class RelayIT {
    @RegisterExtension
    final RedisNodes cluster = new RedisNodes(
            "--redis-ping-interval",
            "500ms",
            "--redis-timeout",
            "1s",
            "--redis-gap-window",
            RelayIT.GAP_WINDOW.toMillis() + "ms");

    private RedisServer redis;

    @BeforeEach
    void redis() {
        redis = cluster.redis();
    }

    /** The 4002 closes after a relay interruption are spread over this (the tests' own, shorter than the default). */
    private static final Duration GAP_WINDOW = Duration.ofSeconds(1);
    /** How late after the window a 4002 close may still arrive on a loaded two-core machine. */
    private static final Duration GAP_MARGIN = Duration.ofSeconds(2);

    private GatewayFixture node(String... flags) {
        return cluster.node(flags);
    }

    static String text(long conversationId, String message) {
        return "{\"type\":\"TEXT\",\"conversation_id\":" + conversationId + ",\"message\":\"" + message + "\"}";
    }

    /** Waits until Redis reports {@code subscribers} subscriptions on user {@code userId}'s channel. */
    private void awaitSubscribers(long userId, int subscribers) {
        GatewayFixture.await(
                "user " + userId + " is reachable on " + subscribers + " node(s)",
                () -> ReachableNodes.is(redis, userId, subscribers));
    }

    /** The ids of the gateway's connections in CLIENT LIST (replaced connections may linger until Redis notices). */
    private Set<String> gatewayClientIds() {
        try {
            Set<String> ids = new HashSet<>();
            for (String line : redis.bulkLines("CLIENT LIST")) {
                if (line.contains("name=inbox-gateway") && line.contains("cmd=")) {
                    ids.add(line.replaceAll(".*\\bid=(\\d+).*", "$1"));
                }
            }
            return ids;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void membersOnDifferentNodesChatWithTheSameEventBytes() {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(1, 1, 2, 3);
        WsClient ann = a.connect(1);
        WsClient annOnA2 = a.connect(3);
        WsClient bob = b.connect(2);
        awaitSubscribers(2, 1);

        ann.send(text(1, "hello across nodes"));
        String atBob = bob.next();
        String atA = annOnA2.next();
        assertEquals(atA, atBob, "a relayed event is byte for byte what the origin node wrote");
        assertEquals(1L, Json.parse(atBob).get("sender_id"));
        ann.next();

        String metricsB = b.admin("GET", "/metrics", null, false).body();
        assertTrue(metricsB.contains("inbox_relay_received_total 1.0"), "node B counted the relayed envelope");
        assertTrue(metricsB.contains("inbox_deliveries_total{path=\"relayed\"} 1.0"));
        assertTrue(metricsB.contains("inbox_redis_up 1.0"));
        assertTrue(a.admin("GET", "/metrics", null, false).body().contains("inbox_relay_publish_seconds_count 1"));

        bob.send(text(1, "hi back"));
        Map<String, Object> reply = ann.nextJson();
        assertEquals("hi back", reply.get("message"));
        assertEquals(2L, reply.get("sender_id"));
        assertEquals(reply, Json.parse(bob.next()));
    }

    /**
     * The scripts are loaded with the connection, not resent with the first messages: a NOSCRIPT retry went out after
     * later messages of the same sender, which were then admitted first (RelayIT once saw m18 before m1).
     */
    @Test
    void scriptsAreInRedisBeforeTheNodeIsReady() throws IOException {
        node();
        assertEquals(
                ":1",
                redis.commandLines("SCRIPT EXISTS " + sha1(RedisAdmission.SCRIPT), 2)
                        .get(1));
    }

    /**
     * Redis forgets the scripts under a connected node (SCRIPT FLUSH): the next message is refused, not resent out of
     * order, and the one after it is delivered, the script loaded again meanwhile.
     */
    @Test
    void aFlushedScriptCacheCostsOneRefusalAndNoReordering() throws IOException {
        GatewayFixture a = node();
        a.members(3, 1, 2);
        WsClient ann = a.connect(1);
        WsClient bob = a.connect(2);
        assertEquals("+OK", redis.command("SCRIPT FLUSH"));

        ann.send(text(3, "first"));
        assertEquals("relay_unavailable", ann.nextJson().get("code"), "refused, so the sender knows to resend");
        GatewayFixture.await("the script is loaded again", () -> {
            try {
                return redis.commandLines("SCRIPT EXISTS " + sha1(RedisAdmission.SCRIPT), 2)
                        .get(1)
                        .equals(":1");
            } catch (IOException e) {
                return false;
            }
        });
        ann.send(text(3, "second"));
        assertEquals("second", bob.nextJson().get("message"));
        assertEquals("second", ann.nextJson().get("message"));
        assertEquals(0, bob.pending(), "the refused message never arrived");
    }

    private static String sha1(String script) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-1")
                            .digest(script.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A burst of 200 from one sender: each of Bob's connections, on both nodes, gets every acknowledged message once and
     * in order. A node may shed part of a burst it cannot admit in time ({@code overloaded}, documented): the sender is
     * told, and nobody receives those.
     */
    @Test
    void userOnTwoNodesGetsEachMessageExactlyOncePerConnectionInOrder() {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(2, 1, 2);
        WsClient ann = a.connect(1);
        List<WsClient> bob = List.of(a.connect(2), b.connect(2), b.connect(2));
        awaitSubscribers(2, 2);

        int n = 200;
        for (int i = 0; i < n; i++) {
            ann.send(withClientMsgId(text(2, "m" + i), "m" + i));
        }
        Set<String> acknowledged = new HashSet<>();
        Map<String, Object> refusals = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            Map<String, Object> answer = ann.nextJson();
            String id = (String) answer.get("client_msg_id");
            if ("ERROR".equals(answer.get("type"))) {
                refusals.put(id, answer.get("code"));
            } else {
                acknowledged.add(id);
            }
        }
        assertTrue(
                refusals.values().stream().allMatch("overloaded"::equals),
                "a burst is only ever shed, as documented: " + refusals);
        assertTrue(acknowledged.size() >= n / 2, "most of the burst admitted: refused " + refusals);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (acknowledged.contains("m" + i)) {
                expected.add("m" + i);
            }
        }
        ann.send(text(2, "end"));
        for (WsClient c : bob) {
            long last = 0;
            List<String> received = new ArrayList<>();
            Map<String, Object> e;
            while (!"end".equals((e = c.nextJson()).get("message"))) {
                received.add((String) e.get("message"));
                long id = (Long) e.get("message_id");
                assertTrue(id > last, "in message_id order");
                last = id;
            }
            assertEquals(expected, received, "every acknowledged message once, in order, and nothing refused");
            assertEquals(0, c.pending(), "no duplicates");
        }
    }

    private static String withClientMsgId(String frame, String clientMsgId) {
        return frame.substring(0, frame.length() - 1) + ",\"client_msg_id\":\"" + clientMsgId + "\"}";
    }

    @Test
    void nonMemberOnAnotherNodeReceivesNothing() {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(3, 1, 2);
        WsClient ann = a.connect(1);
        WsClient bob = b.connect(2);
        WsClient eve = b.connect(9);
        awaitSubscribers(9, 1);

        ann.send(text(3, "secret"));
        assertEquals("secret", bob.nextJson().get("message"));
        b.members(3, 1, 2, 9); // through the other node's admin API
        ann.send(text(3, "public"));
        assertEquals("public", eve.nextJson().get("message"), "had 'secret' reached Eve it would have come first");
        assertEquals(0, eve.pending());
    }

    @Test
    void membershipChangedOnOneNodeIsHonouredByTheOthersAtOnce() {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(4, 1, 2);
        assertEquals(
                List.of(1L, 2L),
                Json.parse(b.admin("GET", "/api/conversations/4/members", null).body())
                        .get("user_ids"));
        WsClient ann = a.connect(1);
        WsClient bob = b.connect(2);
        awaitSubscribers(2, 1);

        assertEquals(
                200, a.admin("DELETE", "/api/conversations/4/members/2", null).statusCode());
        ann.send(text(4, "after removal"));
        ann.next();
        bob.send(text(4, "can I still post?"));
        assertEquals("not_a_member", bob.nextJson().get("code"), "node B sees the removal made on A");
        assertEquals(
                200, a.admin("POST", "/api/conversations/4/members/2", null).statusCode());
        ann.send(text(4, "welcome back"));
        assertEquals("welcome back", bob.nextJson().get("message"), "nothing sent while removed arrived first");
    }

    @Test
    void threeNodesGroupChat() {
        List<GatewayFixture> three = List.of(node(), node(), node());
        three.get(0).members(5, 1, 2, 3, 4, 5, 6);
        List<WsClient> users = new ArrayList<>();
        for (int u = 1; u <= 6; u++) {
            users.add(three.get(u % 3).connect(u));
        }
        for (int u = 1; u <= 6; u++) {
            awaitSubscribers(u, 1);
        }
        for (int u = 0; u < 6; u++) {
            users.get(u).send(text(5, "from " + (u + 1)));
        }
        for (WsClient c : users) {
            List<Object> senders = new ArrayList<>();
            long last = 0;
            for (int i = 0; i < 6; i++) {
                Map<String, Object> e = c.nextJson();
                senders.add(e.get("sender_id"));
                long id = (Long) e.get("message_id");
                assertTrue(id > last, "every connection sees one order, the message_id order");
                last = id;
            }
            assertEquals(6, senders.stream().distinct().count(), "each of the six messages once");
        }
    }

    @Test
    void devModeOpenConversationsWorkAcrossNodes() {
        GatewayFixture a = node("--dev");
        GatewayFixture b = node("--dev");
        WsClient ann = a.connect("/ws/inbox/?user_id=1&name=Ann", Map.of(), List.of());
        WsClient bob = b.connect("/ws/inbox/?user_id=2&name=Bob", Map.of(), List.of());
        awaitSubscribers(1, 1);
        ann.send(text(6, "anyone?"));
        ann.next();
        bob.send(text(6, "me"));
        bob.next();
        assertEquals("Bob", ann.nextJson().get("sender_name"));
    }

    @Test
    void redisRestartMidConversation() {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(7, 1, 2);
        WsClient ann = a.connect(1);
        WsClient bob = b.connect(2);
        awaitSubscribers(2, 1);
        ann.send(text(7, "before"));
        long before = (Long) bob.nextJson().get("message_id");
        ann.next();

        redis.kill();
        GatewayFixture.await("node A reports not ready", () -> a.readyz() == 503);
        GatewayFixture.await(
                "node A's redis gauge drops",
                () -> a.admin("GET", "/metrics", null, false).body().contains("inbox_redis_up 0.0"));
        assertTrue(a.admin("GET", "/readyz", null, false).body().contains("redis"));
        ann.send(text(7, "during"));
        Map<String, Object> refused = ann.nextJson();
        assertEquals("relay_unavailable", refused.get("code"), "not lost silently: the sender is told");
        assertEquals(7L, refused.get("conversation_id"));
        assertEquals(503, a.admin("GET", "/api/conversations/7/members", null).statusCode());

        redis.restart();
        a.awaitReady();
        b.awaitReady();
        // Open across the restart, so they may have missed messages: told, and they reconnect.
        assertEquals(4002, ann.awaitClose());
        assertEquals(4002, bob.awaitClose());
        WsClient annAgain = reconnect(a, 1);
        WsClient bobAgain = reconnect(b, 2);
        annAgain.send(text(7, "after"));
        Map<String, Object> after = bobAgain.nextJson();
        assertEquals("after", after.get("message"), "cross-node delivery resumes without restarting a node");
        assertTrue((Long) after.get("message_id") > before, "ids keep increasing across the restart");
        assertEquals("after", annAgain.nextJson().get("message"));
    }

    /**
     * The connections open across a Redis restart, on both nodes, are closed with 4002 once their node is ready again,
     * not before and spread over the gap window; one opened after that is not closed and gets what other nodes send.
     */
    @Test
    void connectionsOpenAcrossARedisRestartAreToldWith4002SpreadOverTheWindow() {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(10, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        List<WsClient> onA = new ArrayList<>();
        List<WsClient> onB = new ArrayList<>();
        for (long u = 1; u <= 8; u++) {
            (u % 2 == 1 ? onA : onB).add((u % 2 == 1 ? a : b).connect(u));
        }
        for (long u = 1; u <= 8; u++) {
            awaitSubscribers(u, 1);
        }

        redis.kill();
        GatewayFixture.await("both nodes report not ready", () -> a.readyz() == 503 && b.readyz() == 503);
        long restartedAt = System.nanoTime();
        for (WsClient c : concat(onA, onB)) {
            assertFalse(
                    c.isClosedByServer(),
                    "nothing is closed while Redis is away: the client would come back "
                            + "to a node that cannot serve it");
        }
        redis.restart();
        a.awaitReady();
        b.awaitReady();
        long readyAt = System.nanoTime();
        WsClient late = b.connect(9); // after readiness came back: its node's subscriptions are whole
        awaitSubscribers(9, 1);

        for (List<WsClient> node : List.of(onA, onB)) {
            long first = Long.MAX_VALUE;
            long last = 0;
            for (WsClient c : node) {
                assertEquals(4002, c.awaitClose(), "open across the restart");
                first = Math.min(first, c.closedAtNanos());
                last = Math.max(last, c.closedAtNanos());
            }
            assertTrue(first > restartedAt, "closed only once Redis was back");
            assertTrue(
                    last - readyAt < GAP_WINDOW.plus(GAP_MARGIN).toNanos(),
                    "within the window: " + (last - readyAt) / 1_000_000 + " ms after ready");
            // Four connections, each in its own quarter of the window: the first and the last are over half of it
            // apart.
            assertTrue(
                    last - first > GAP_WINDOW.toNanos() / 4,
                    "spread over the window, not at once: " + (last - first) / 1_000_000 + " ms apart");
        }
        WsClient sender = a.connect(1);
        sender.send(text(10, "after the gap"));
        assertEquals("after the gap", late.nextJson().get("message"), "relayed to the connection opened after");
        parkUntil(readyAt + GAP_WINDOW.plus(GAP_MARGIN).toNanos()); // the window is over: nothing else is due
        assertFalse(late.isClosedByServer(), "opened after the resubscription: it missed nothing");
        assertFalse(sender.isClosedByServer());
        for (GatewayFixture n : List.of(a, b)) {
            String metrics = n.admin("GET", "/metrics", null, false).body();
            assertTrue(metrics.contains("inbox_relay_gaps_total 1.0"), "one interruption counted");
            assertTrue(metrics.contains("inbox_closes_sent_total{code=\"4002\"} 4.0"), "four connections told");
        }
    }

    /**
     * Redis stays up but drops this node's pub/sub connection ({@code CLIENT KILL TYPE pubsub}): other nodes go on
     * admitting messages, which miss the node until it has resubscribed; its connections are told with 4002.
     */
    @Test
    void aKilledPubSubConnectionIsResubscribedAndItsConnectionsToldWith4002() throws IOException {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(11, 1, 2);
        WsClient ann = a.connect(1);
        WsClient bob = b.connect(2);
        awaitSubscribers(1, 1);
        awaitSubscribers(2, 1);

        assertEquals(":2", redis.command("CLIENT KILL TYPE pubsub"), "one subscribed connection per node");
        assertEquals(4002, ann.awaitClose());
        assertEquals(4002, bob.awaitClose());
        a.awaitReady();
        b.awaitReady();
        WsClient annAgain = reconnect(a, 1);
        WsClient bobAgain = reconnect(b, 2);
        annAgain.send(text(11, "after the kill"));
        assertEquals("after the kill", bobAgain.nextJson().get("message"));
        bobAgain.send(text(11, "and back"));
        assertEquals("after the kill", annAgain.nextJson().get("message"));
        assertEquals("and back", annAgain.nextJson().get("message"));
        assertTrue(b.admin("GET", "/metrics", null, false).body().contains("inbox_relay_gaps_total 1.0"));
    }

    @Test
    void silentlyDeadRedisIsDetectedAndTheConnectionReplaced() {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(9, 1, 2);
        WsClient ann = a.connect(1);
        WsClient bob = b.connect(2);
        awaitSubscribers(2, 1);

        Set<String> before = gatewayClientIds();
        assertEquals(2, before.size(), "one connection per node");
        redis.freeze(); // the TCP connections stay up; nothing answers
        long frozenAt = System.nanoTime();
        GatewayFixture.await("node B notices by its pings", () -> b.readyz() == 503);
        assertTrue(System.nanoTime() - frozenAt < TimeUnit.SECONDS.toNanos(30), "detected within 30 s");
        GatewayFixture.await(
                "both nodes give up on their silent connections",
                () -> a.admin("GET", "/readyz", null, false).body().contains("replacing")
                        && b.admin("GET", "/readyz", null, false).body().contains("replacing"));
        // Given up on, the silent connection is closed: a message now never reaches Redis, and is refused at once.
        // (One sent into the silent connection before would have waited for it to close: outcome_unknown,
        // AdmissionOutcomeIT.)
        ann.send(text(9, "into the void"));
        assertEquals("relay_unavailable", ann.nextJson().get("code"));
        assertFalse(ann.isClosedByServer() || bob.isClosedByServer(), "not told before the node can serve again");

        redis.thaw();
        a.awaitReady();
        b.awaitReady();
        assertEquals(4002, ann.awaitClose(), "open while its node's subscriptions were dead");
        assertEquals(4002, bob.awaitClose());
        Set<String> after = gatewayClientIds();
        assertTrue(after.stream().noneMatch(before::contains), "new connections: " + before + " -> " + after);
        WsClient annAgain = reconnect(a, 1);
        WsClient bobAgain = reconnect(b, 2); // subscribed again on the new connection
        annAgain.send(text(9, "back"));
        annAgain.send(text(9, "again"));
        assertEquals("back", bobAgain.nextJson().get("message"));
        assertEquals("again", bobAgain.nextJson().get("message"));
        assertEquals("back", annAgain.nextJson().get("message"));
        assertEquals("again", annAgain.nextJson().get("message"));
        assertEquals(0, bobAgain.pending(), "once each: nothing from the replaced connections");
    }

    /**
     * What a client told 4002 does: connects again. Once the old connection's leave has unsubscribed the user (so a
     * subscription seen after is the new connection's own), and until the new one is subscribed.
     */
    private WsClient reconnect(GatewayFixture node, long userId) {
        awaitSubscribers(userId, 0);
        WsClient c = node.connect(userId);
        awaitSubscribers(userId, 1);
        return c;
    }

    private static List<WsClient> concat(List<WsClient> x, List<WsClient> y) {
        List<WsClient> all = new ArrayList<>(x);
        all.addAll(y);
        return all;
    }

    /** The scenario's own schedule (the end of the gap window), not a stand-in for a condition. */
    private static void parkUntil(long nanoTime) {
        for (long left; (left = nanoTime - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
        }
    }

    @Test
    void aNodeThatDiesLeavesNothingBehind() {
        GatewayFixture a = node();
        GatewayFixture b = node();
        a.members(8, 1, 2);
        WsClient ann = a.connect(1);
        b.connect(2);
        awaitSubscribers(2, 1);

        cluster.stop(b);
        awaitSubscribers(2, 0);
        GatewayFixture c = node();
        WsClient bobAgain = c.connect(2);
        awaitSubscribers(2, 1);
        ann.send(text(8, "still works"));
        assertEquals("still works", bobAgain.nextJson().get("message"));
    }
}
