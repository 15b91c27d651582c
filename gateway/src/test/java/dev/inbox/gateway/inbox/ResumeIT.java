package dev.inbox.gateway.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.RedisClusterServers;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.WsClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client that reconnects with {@code ?resume=1} and its position gets every event it missed exactly once, in
 * order, also those sent while it resumes; where the feed cannot tell, it is told so (docs/protocol.md, "Resume").
 * Real sockets, real clients, a real redis-server of the test's own.
 */
class ResumeIT {
    private static final long ANN = 1;
    private static final long BOB = 2;
    private static final long CAROL = 3;

    private RedisServer redis;
    private RedisClusterServers cluster;
    private GatewayFixture node;
    private GatewayFixture other;

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
        if (other != null) {
            other.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private GatewayFixture redisNode(String... redisArgs) {
        redis = RedisServer.start(redisArgs);
        node = GatewayFixture.start(
                        "--redis",
                        redis.uri(),
                        "--redis-ping-interval",
                        "200ms",
                        "--redis-timeout",
                        "1s",
                        "--rate-limit",
                        "1000",
                        "--rate-burst",
                        "1000")
                .awaitReady();
        return node;
    }

    private void members() {
        node.members(1, ANN, BOB);
        node.members(2, ANN, BOB, CAROL);
        node.members(3, BOB, CAROL); // not Ann's
    }

    private WsClient resuming(long userId) {
        return node.connect("/ws/inbox/?resume=1", Map.of("Authorization", "Bearer " + node.token(userId)), List.of());
    }

    static String text(long conversationId, String message) {
        return "{\"type\":\"TEXT\",\"conversation_id\":" + conversationId + ",\"message\":\"" + message + "\"}";
    }

    static String resume(String position, Map<Long, Long> lastSeen) {
        StringBuilder b = new StringBuilder("{\"type\":\"RESUME\",\"position\":");
        b.append(position == null ? "null" : "\"" + position + "\"").append(",\"conversations\":[");
        String sep = "";
        for (Map.Entry<Long, Long> e : lastSeen.entrySet()) {
            b.append(sep)
                    .append("{\"conversation_id\":")
                    .append(e.getKey())
                    .append(",\"message_id\":\"")
                    .append(e.getValue())
                    .append("\"}");
            sep = ",";
        }
        return b.append("]}").toString();
    }

    /** Reads until the RESUMED frame; returns it, with the events before it in {@code replayed}. */
    static Map<String, Object> untilResumed(WsClient c, List<Map<String, Object>> replayed) {
        while (true) {
            Map<String, Object> m = c.nextJson();
            if ("RESUMED".equals(m.get("type"))) {
                return m;
            }
            replayed.add(m);
        }
    }

    /** A first connection: no position yet; returns the one its RESUMED hands out. */
    private String firstPosition(WsClient c) {
        c.send(resume(null, Map.of()));
        Map<String, Object> r = untilResumed(c, new ArrayList<>());
        assertEquals(false, r.get("recovered"));
        assertEquals("no_position", r.get("reason"));
        assertNotNull(r.get("position"));
        return (String) r.get("position");
    }

    /** Resumes from {@code position} on {@code back}: nothing replayed, and told why. */
    private static void assertNotRecovered(WsClient back, String position, String reason) {
        back.send(resume(position, Map.of()));
        List<Map<String, Object>> replayed = new ArrayList<>();
        Map<String, Object> resumed = untilResumed(back, replayed);
        assertEquals(false, resumed.get("recovered"), "resumed: " + resumed);
        assertEquals(reason, resumed.get("reason"));
        assertEquals(List.of(), replayed);
    }

    /** Sends {@code n} messages from {@code sender} and reads their acks off its own connection: the ids. */
    private static void sendAll(WsClient sender, long conversationId, String prefix, int n) {
        for (int i = 0; i < n; i++) {
            sender.send(text(conversationId, prefix + i));
        }
    }

    /** Every event {@code watcher} (a member of all of 1, 2 and 3) received, per conversation, until it has {@code n}. */
    static Map<Long, List<Long>> collect(WsClient watcher, int n) {
        Map<Long, List<Long>> seen = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Map<String, Object> m = watcher.nextJson();
            assertFalse("ERROR".equals(m.get("type")), "no error: " + m);
            seen.computeIfAbsent((Long) m.get("conversation_id"), k -> new ArrayList<>())
                    .add((Long) m.get("message_id"));
        }
        return seen;
    }

    /**
     * Ann leaves (a plain client close); Bob and Carol write to her conversations and to one she is not in; she comes
     * back with her position and the last id she saw per conversation while Bob keeps writing during her resume.
     */
    private void missedEventsComeBackExactlyOnce() throws Exception {
        members();
        WsClient ann = resuming(ANN);
        String position = firstPosition(ann);
        WsClient bob = node.connect(BOB);
        WsClient carol = node.connect(CAROL); // member of 2 and 3: Carol sees what Bob writes there
        bob.send(text(1, "before"));
        Map<String, Object> seen = ann.nextJson();
        long lastSeenIn1 = (Long) seen.get("message_id");
        bob.nextJson(); // his own ack
        ann.close();
        ann.awaitClose();

        sendAll(bob, 1, "away-1-", 5);
        sendAll(bob, 2, "away-2-", 5);
        sendAll(carol, 3, "not-ann-", 3);
        Map<Long, List<Long>> atBob = collect(bob, 13);

        AtomicBoolean stop = new AtomicBoolean();
        int[] duringSent = {0};
        Thread during = new Thread(() -> {
            while (!stop.get() && duringSent[0] < 30) {
                bob.send(text(duringSent[0] % 2 == 0 ? 1 : 2, "during-" + duringSent[0]));
                duringSent[0]++;
                try {
                    Thread.sleep(5); // pacing within the rate limit, not a wait for a condition
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        during.start();
        WsClient back = resuming(ANN);
        Map<Long, Long> lasts = new LinkedHashMap<>();
        lasts.put(1L, lastSeenIn1);
        lasts.put(3L, 1L);
        back.send(resume(position, lasts));
        List<Map<String, Object>> replayed = new ArrayList<>();
        Map<String, Object> resumed = untilResumed(back, replayed);
        stop.set(true);
        during.join();
        int sentDuring = duringSent[0];
        Map<Long, List<Long>> duringAtBob = collect(bob, sentDuring);

        assertEquals(true, resumed.get("recovered"), "recovered: " + resumed);
        assertEquals(
                List.of(Map.of("conversation_id", 3L, "reason", "not_a_member")),
                resumed.get("not_recovered"),
                "the listed conversation Ann is not in is reported, nothing of it replayed");
        assertEquals((long) replayed.size(), resumed.get("replayed"));

        // Everything Ann should have: what Bob saw in 1 and 2 after "before", including the sends during the resume.
        Map<Long, TreeSet<Long>> expected = new HashMap<>();
        for (long c : new long[] {1, 2}) {
            TreeSet<Long> ids = new TreeSet<>(atBob.getOrDefault(c, List.of()));
            ids.addAll(duringAtBob.getOrDefault(c, List.of()));
            expected.put(c, ids);
        }
        int total = expected.get(1L).size() + expected.get(2L).size();
        Map<Long, List<Long>> atAnn = new HashMap<>();
        for (Map<String, Object> m : replayed) {
            atAnn.computeIfAbsent((Long) m.get("conversation_id"), k -> new ArrayList<>())
                    .add((Long) m.get("message_id"));
        }
        int live = total - replayed.size();
        assertTrue(live >= 0, "no more replayed than missed: " + replayed.size() + " of " + total);
        for (Map.Entry<Long, List<Long>> e : collect(back, live).entrySet()) {
            atAnn.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).addAll(e.getValue());
        }
        for (long c : new long[] {1, 2}) {
            assertEquals(
                    new ArrayList<>(expected.get(c)),
                    atAnn.get(c),
                    "conversation " + c + ": every event once, in order");
        }
        assertFalse(atAnn.containsKey(3L), "nothing of a conversation Ann is not in");
        assertTrue(replayed.size() >= 10, "the ten sent while Ann was away were replayed: " + replayed.size());
        assertEquals(0, back.pending(), "and nothing else");
    }

    @Test
    void withRedisMissedEventsComeBackExactlyOnceInOrder() throws Exception {
        redisNode();
        missedEventsComeBackExactlyOnce();
        String metrics = node.admin("GET", "/metrics", null, false).body();
        assertTrue(metrics.contains("inbox_resumes_total{outcome=\"partial\"} 1.0"), "the resume is counted");
    }

    @Test
    void onARedisClusterMissedEventsComeBackExactlyOnceInOrder() throws Exception {
        cluster = RedisClusterServers.start();
        node = nodeOn(cluster.uri());
        missedEventsComeBackExactlyOnce();
    }

    @Test
    void onASingleNodeMissedEventsComeBackExactlyOnceInOrder() throws Exception {
        node = GatewayFixture.start("--rate-limit", "1000", "--rate-burst", "1000")
                .awaitReady();
        missedEventsComeBackExactlyOnce();
    }

    @Test
    void aRedisThatLostItsDataSaysEpochChangedNeverASilentGap() {
        redisNode("--appendonly", "no");
        members();
        WsClient ann = resuming(ANN);
        String position = firstPosition(ann);
        WsClient bob = node.connect(BOB);
        bob.send(text(1, "seen"));
        ann.nextJson();
        ann.close();
        redis.kill();
        redis.restart(); // without persistence: the feeds, epochs and histories are gone
        GatewayFixture.await(
                "the node reaches the new Redis",
                () -> node.admin("PUT", "/api/conversations/1/members", "{\"user_ids\":[1,2]}")
                                .statusCode()
                        == 200);
        members();
        assertNotRecovered(resuming(ANN), position, "epoch_changed");
    }

    /**
     * A feed that vanished while its epoch stayed (evicted, deleted by hand): the messages between the position and
     * its loss are gone, so a resume must not count the feed the next message makes as the same history.
     */
    @Test
    void aFeedLostWhileItsEpochStayedSaysEpochChangedNeverASilentGap() throws Exception {
        redisNode();
        members();
        WsClient ann = resuming(ANN);
        String position = firstPosition(ann);
        ann.close();
        WsClient bob = node.connect(BOB);
        sendAll(bob, 1, "lost-", 3);
        collect(bob, 3);
        assertEquals(":1", redis.command("DEL {inbox:u:1}:feed"));
        sendAll(bob, 1, "after-", 5);
        collect(bob, 5);
        long ttl = Long.parseLong(redis.command("PTTL {inbox:u:1}:feed").substring(1));
        assertTrue(ttl > 0, "the feed an admission makes expires: " + ttl);

        assertNotRecovered(resuming(ANN), position, "epoch_changed");
    }

    /**
     * The feed's age counts from the user's last connection, not from their last event: a connection that stayed
     * open, quiet, for longer than {@code --feed-max-age} still resumes everything it missed after it closed.
     */
    @Test
    void aConnectionQuietForLongerThanTheFeedAgeStillResumesWhatItMissed() throws Exception {
        redis = RedisServer.start();
        node = GatewayFixture.start(
                        "--redis", redis.uri(), "--feed-max-age", "2s", "--rate-limit", "1000", "--rate-burst", "1000")
                .awaitReady();
        members();
        WsClient ann = resuming(ANN);
        String position = firstPosition(ann);
        long firstDeadline = System.nanoTime()
                + Long.parseLong(redis.command("PTTL {inbox:u:1}:epoch").substring(1)) * 1_000_000;
        GatewayFixture.await(
                "the feed's first deadline has passed", () -> System.nanoTime() - firstDeadline > 300_000_000L);
        assertEquals(":1", redis.command("EXISTS {inbox:u:1}:epoch"), "renewed while Ann is connected");
        ann.close();
        WsClient bob = node.connect(BOB);
        sendAll(bob, 1, "away-", 3);
        List<Long> sent = collect(bob, 3).get(1L);

        WsClient back = resuming(ANN);
        back.send(resume(position, Map.of()));
        List<Map<String, Object>> replayed = new ArrayList<>();
        Map<String, Object> resumed = untilResumed(back, replayed);
        assertEquals(true, resumed.get("recovered"), "resumed: " + resumed);
        assertEquals(
                sent, replayed.stream().map(m -> (Long) m.get("message_id")).toList());
    }

    @Test
    void aFeedTrimmedPastThePositionSaysBeyondWindow() {
        // Small stream nodes, so that MAXLEN ~ trims close to the bound.
        redis = RedisServer.start("--stream-node-max-entries", "2");
        node = GatewayFixture.start(
                        "--redis", redis.uri(), "--feed-max-length", "4", "--rate-limit", "1000", "--rate-burst", "100")
                .awaitReady();
        members();
        WsClient ann = resuming(ANN);
        String position = firstPosition(ann);
        ann.close();
        WsClient bob = node.connect(BOB);
        sendAll(bob, 1, "m", 20);
        collect(bob, 20);
        assertNotRecovered(resuming(ANN), position, "beyond_window");
    }

    @Test
    void aForgedOrForeignPositionReplaysNothingOfAnyoneElse() {
        redisNode();
        members();
        WsClient bob = resuming(BOB);
        String bobsPosition = firstPosition(bob);
        WsClient ann = resuming(ANN);
        firstPosition(ann);
        WsClient carol = node.connect(CAROL);
        carol.send(text(3, "for bob and carol only"));
        bob.nextJson();
        ann.close();

        WsClient forged = resuming(ANN);
        forged.send(resume("not-a-position", Map.of()));
        Map<String, Object> r = untilResumed(forged, new ArrayList<>());
        assertEquals("bad_position", r.get("reason"));

        WsClient foreign = resuming(ANN);
        foreign.send(resume(bobsPosition, Map.of()));
        List<Map<String, Object>> replayed = new ArrayList<>();
        r = untilResumed(foreign, replayed);
        assertEquals(false, r.get("recovered"));
        assertEquals("epoch_changed", r.get("reason"), "Bob's position names Bob's epoch, not Ann's");
        assertEquals(List.of(), replayed);

        WsClient malformed = resuming(ANN);
        malformed.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"not a resume\"}");
        Map<String, Object> error = malformed.nextJson();
        assertEquals("ERROR", error.get("type"));
        assertEquals("bad_resume", error.get("code"));
        assertEquals(1008, malformed.awaitClose());
    }

    private GatewayFixture clusteredNode(String... extra) {
        return nodeOn(redis.uri(), extra);
    }

    private static GatewayFixture nodeOn(String redisUri, String... extra) {
        List<String> args = new ArrayList<>(List.of(
                "--redis",
                redisUri,
                "--redis-ping-interval",
                "200ms",
                "--redis-timeout",
                "1s",
                "--redis-gap-window",
                "200ms",
                "--rate-limit",
                "1000",
                "--rate-burst",
                "1000"));
        args.addAll(List.of(extra));
        return GatewayFixture.start(args.toArray(new String[0])).awaitReady();
    }

    private static WsClient resuming(GatewayFixture at, long userId) {
        return at.connect("/ws/inbox/?resume=1", Map.of("Authorization", "Bearer " + at.token(userId)), List.of());
    }

    /** Until the close: the ids of conversation 1 Ann received on the closed connection. */
    private static List<Long> receivedUntilClosed(WsClient c, int expectedClose) {
        assertEquals(expectedClose, c.awaitClose());
        List<Long> ids = new ArrayList<>();
        while (c.pending() > 0) {
            ids.add((Long) c.nextJson().get("message_id"));
        }
        return ids;
    }

    /**
     * Ann, on node A, is closed with {@code close} by {@code closer} while Bob on node B writes to conversation 1
     * before, around and after it; Ann comes back on {@code backTo} with her position and her last id: she ends with
     * every one of Bob's events exactly once, in order.
     */
    private void closedAndResumed(int close, Runnable closer, java.util.function.Supplier<GatewayFixture> backTo) {
        node.members(1, ANN, BOB);
        WsClient ann = resuming(node, ANN);
        String position = firstPosition(ann);
        WsClient bob = other.connect(BOB);
        sendAll(bob, 1, "before-", 3);
        List<Long> atBob = new ArrayList<>(collect(bob, 3).get(1L));
        GatewayFixture.await("Ann has the first three", () -> ann.pending() >= 3);
        closer.run();
        List<Long> seen = receivedUntilClosed(ann, close);
        // A relay gap closes every user of both nodes, Bob too (a drain of Ann's node does not): wait for his close
        // rather than look, or he may write on a connection whose 4002 is on its way.
        WsClient bobNow = bob;
        if (close == 4002) {
            assertEquals(4002, bob.awaitClose());
            bobNow = other.awaitReady().connect(BOB);
        }
        sendAll(bobNow, 1, "away-", 5);
        atBob.addAll(collect(bobNow, 5).get(1L));

        WsClient back = resuming(backTo.get(), ANN);
        Map<Long, Long> lasts = seen.isEmpty() ? Map.of() : Map.of(1L, seen.get(seen.size() - 1));
        back.send(resume(position, lasts));
        List<Map<String, Object>> replayed = new ArrayList<>();
        Map<String, Object> resumed = untilResumed(back, replayed);
        assertEquals(true, resumed.get("recovered"), "recovered: " + resumed);
        List<Long> all = new ArrayList<>(seen);
        replayed.forEach(m -> all.add((Long) m.get("message_id")));
        assertEquals(atBob, all, "every event once, in order, across the " + close + " close");
        assertEquals(0, back.pending());
    }

    @Test
    void afterA4002RelayGapTheMissedEventsAreReplayed() {
        redis = RedisServer.start();
        node = clusteredNode();
        other = clusteredNode();
        closedAndResumed(
                4002,
                () -> {
                    try {
                        assertEquals(":2", redis.command("CLIENT KILL TYPE pubsub"));
                    } catch (java.io.IOException e) {
                        throw new AssertionError(e);
                    }
                },
                () -> node.awaitReady());
    }

    @Test
    void afterA1001DrainTheMissedEventsAreReplayedOnAnotherNode() {
        redis = RedisServer.start();
        node = clusteredNode("--drain-delay", "50ms", "--drain-window", "100ms", "--drain-deadline", "5s");
        other = clusteredNode();
        Thread drain = new Thread(() -> node.server().drainAndClose());
        closedAndResumed(1001, drain::start, () -> other);
    }

    @Test
    void onARedisClusterADrainedClientResumesOnAnotherNode() {
        cluster = RedisClusterServers.start();
        node = nodeOn(cluster.uri(), "--drain-delay", "50ms", "--drain-window", "100ms", "--drain-deadline", "5s");
        other = nodeOn(cluster.uri());
        Thread drain = new Thread(() -> node.server().drainAndClose());
        closedAndResumed(1001, drain::start, () -> other);
    }
}
