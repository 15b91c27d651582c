package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.ReplyDelayProxy;
import dev.inbox.testkit.WsClient;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a sender is told when Redis ran the admission script but its reply comes late or never (issue 13: "a message
 * is either in the outbox and delivered, or refused to its sender"). Node A reaches Redis through a proxy that can
 * hold Redis's replies back; node B reaches it directly, so B's member sees at once whatever the script published.
 * Every test asserts what users observe: the sender's answer, the other member's delivery, the outbox.
 */
class AdmissionOutcomeIT {
    private static final long CONVERSATION = 5;
    private static final long ALICE = 1;
    private static final long BOB = 2;

    private RedisServer redis;
    private ReplyDelayProxy proxy;
    private final List<GatewayFixture> nodes = new ArrayList<>();
    private RedisClient backendClient;
    private StatefulRedisConnection<String, String> backend;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        proxy = ReplyDelayProxy.start(redis.port());
        backendClient = RedisClient.create(redis.uri());
        backend = backendClient.connect();
    }

    @AfterEach
    void stop() {
        for (GatewayFixture n : nodes) {
            n.close();
        }
        backend.close();
        backendClient.shutdown();
        proxy.close();
        redis.close();
    }

    private GatewayFixture node(String redisUri, String pingInterval, String... flags) {
        List<String> args = new ArrayList<>(
                List.of("--redis", redisUri, "--redis-timeout", "1s", "--redis-ping-interval", pingInterval));
        args.addAll(List.of(flags));
        GatewayFixture n = GatewayFixture.start(args.toArray(new String[0])).awaitReady();
        nodes.add(n);
        return n;
    }

    private static String text(String message, String clientMsgId) {
        return "{\"type\":\"TEXT\",\"conversation_id\":" + CONVERSATION + ",\"message\":\"" + message
                + "\",\"client_msg_id\":\"" + clientMsgId + "\"}";
    }

    /** Alice on node A (through the proxy), Bob on node B (direct); both subscribed. */
    private record Pair(GatewayFixture a, WsClient alice, WsClient bob) {}

    private Pair pair(String pingIntervalOfA, String... flagsOfA) {
        GatewayFixture a = node(proxy.redisUri(), pingIntervalOfA, flagsOfA);
        GatewayFixture b = node(redis.uri(), "10s");
        a.members(CONVERSATION, ALICE, BOB);
        WsClient alice = a.connect(ALICE);
        WsClient bob = b.connect(BOB);
        awaitSubscribers(ALICE);
        awaitSubscribers(BOB);
        return new Pair(a, alice, bob);
    }

    private void awaitSubscribers(long userId) {
        GatewayFixture.await("user " + userId + " is reachable on one node", () -> ReachableNodes.is(redis, userId, 1));
    }

    /** The next {@code ERROR} frame {@code client} gets, past the messages of the others it receives as a member. */
    private static Map<String, Object> nextError(WsClient client) {
        while (true) {
            Map<String, Object> frame = client.nextJson();
            if ("ERROR".equals(frame.get("type"))) {
                return frame;
            }
        }
    }

    /** The outbox entries carrying {@code clientMsgId}, as a backend reading every partition would find them. */
    private List<Map<String, String>> outboxEntries(String clientMsgId) {
        List<Map<String, String>> found = new ArrayList<>();
        for (String stream : backend.sync().smembers("inbox:outbox:streams")) {
            for (StreamMessage<String, String> m : backend.sync().xrange(stream, Range.create("-", "+"))) {
                if (clientMsgId.equals(m.getBody().get("client_msg_id"))) {
                    found.add(m.getBody());
                }
            }
        }
        return found;
    }

    /**
     * Redis runs the script at once, but its reply reaches node A well after the command timeout (an overloaded node
     * reading replies late, issue 13's outbox run 3). The sender must be acknowledged, not told
     * {@code relay_unavailable} for a message Bob has and the outbox holds.
     */
    @Test
    void aReplyReadAfterTheCommandTimeoutStillDecides() {
        Pair p = pair("60s"); // no ping in the test's time: the delay must not look like a dead Redis
        proxy.delayReplies(Duration.ofMillis(2500)); // 2.5 x --redis-timeout

        p.alice().send(text("slow reply", "m1"));
        Map<String, Object> atBob = p.bob().nextJson();
        assertEquals("slow reply", atBob.get("message"), "the script ran in time: B's member has it at once");
        Map<String, Object> answer = p.alice().nextJson();

        assertEquals("TEXT", answer.get("type"), "the sender is acknowledged, not refused: " + answer);
        assertEquals("m1", answer.get("client_msg_id"));
        assertEquals(atBob.get("message_id"), answer.get("message_id"));
        List<Map<String, String>> entries = outboxEntries("m1");
        assertEquals(1, entries.size(), "in the outbox once");
        assertEquals(String.valueOf(atBob.get("message_id")), entries.get(0).get("message_id"));
    }

    /**
     * The script ran and the connection is lost before its reply: nobody can know from node A whether it was
     * admitted. The sender must hear exactly that ({@code outcome_unknown}), not {@code relay_unavailable} for a
     * message Bob has and the outbox holds.
     */
    @Test
    void aReplyLostWithTheConnectionIsAnUnknownOutcome() {
        Pair p = pair("60s");
        proxy.holdReplies();

        p.alice().send(text("reply lost", "m2"));
        assertEquals("reply lost", p.bob().nextJson().get("message"), "the script ran: B's member has it");
        GatewayFixture.await(
                "the message is in the outbox", () -> outboxEntries("m2").size() == 1);
        assertEquals(0, p.alice().pending(), "no answer while the reply may still come, whatever the timeout");
        proxy.cut();

        Map<String, Object> answer = p.alice().nextJson();
        assertEquals("outcome_unknown", answer.get("code"), "not refused: " + answer);
        assertEquals("m2", answer.get("client_msg_id"));
        assertEquals(1, outboxEntries("m2").size());
        assertTrue(
                p.a().admin("GET", "/metrics", null, false).body().contains("inbox_relay_outcome_unknown_total 1.0"),
                "counted");
    }

    /**
     * Redis crashes with messages written to it and not yet read (frozen, then killed): the sender hears
     * {@code outcome_unknown} for each at once, while Redis is still down, and none is run later. With auto-reconnect,
     * Lettuce re-sends the commands a lost connection left unanswered once it reconnects unless it rejects commands
     * while disconnected, as the link asks; a re-sent admission would run on the restarted Redis after its sender had
     * been told nothing, or twice. Only the oldest command fails with the connection's own exception, so two are sent.
     */
    @Test
    void anAdmissionLostWithACrashedRedisIsAnsweredAtOnceAndNeverRunAgain() {
        GatewayFixture a = node(redis.uri(), "60s"); // no ping in the test's time: only the crash ends the connection
        a.members(CONVERSATION, ALICE, BOB);
        WsClient alice = a.connect(ALICE);
        awaitSubscribers(ALICE);

        redis.freeze();
        alice.send(text("into the crash", "m3"));
        alice.send(text("into the crash too", "m4"));
        GatewayFixture.await(
                "both messages wait on redis",
                () -> a.admin("GET", "/metrics", null, false).body().contains("inbox_relay_waiting 2.0"));
        redis.kill();

        for (String id : List.of("m3", "m4")) { // Redis is not restarted until both answers came
            Map<String, Object> answer = alice.nextJson();
            assertEquals("outcome_unknown", answer.get("code"), "answered while redis is down: " + answer);
            assertEquals(id, answer.get("client_msg_id"));
        }

        redis.restart();
        a.awaitReady();
        assertEquals(4002, alice.awaitClose(), "open across the outage");
        WsClient again = a.connect(ALICE);
        WsClient bob = a.connect(BOB);
        awaitSubscribers(ALICE);
        again.send(text("after the crash", "m5"));
        assertEquals("after the crash", bob.nextJson().get("message"), "the only message bob gets");
        assertEquals("m5", again.nextJson().get("client_msg_id"));
        assertEquals(0, outboxEntries("m3").size() + outboxEntries("m4").size(), "not run on the restarted redis");
        assertEquals(1, outboxEntries("m5").size());
        assertEquals(0, bob.pending());
    }

    /**
     * Waiting on Redis is bounded: with {@code --redis-queue} admissions unanswered, the next message is shed at once
     * ({@code overloaded}), and it really was refused: nobody gets it and it is not in the outbox. Those
     * waiting keep waiting for their replies, and end {@code outcome_unknown} when the connection is cut. Two
     * senders fill the bound: one connection alone stops being read at its own 8 messages in flight.
     */
    @Test
    void pastTheBoundOfMessagesWaitingOnRedisTheNodeShedsAtOnce() {
        int bound = 16; // the smallest --redis-queue
        int perSender = InboxSession.MAX_ADMISSIONS_IN_FLIGHT;
        Pair p = pair("60s", "--redis-queue", String.valueOf(bound));
        long carolId = 3;
        long daveId = 4;
        p.a().members(CONVERSATION, ALICE, BOB, carolId, daveId);
        WsClient carol = p.a().connect(carolId);
        WsClient dave = p.a().connect(daveId);
        awaitSubscribers(carolId);
        awaitSubscribers(daveId);
        proxy.holdReplies();

        List<WsClient> senders = List.of(p.alice(), carol);
        for (int s = 0; s < senders.size(); s++) {
            for (int i = s * perSender; i < (s + 1) * perSender; i++) {
                senders.get(s).send(text("waiting " + i, "w" + i));
            }
            for (int i = s * perSender; i < (s + 1) * perSender; i++) {
                assertEquals("waiting " + i, p.bob().nextJson().get("message"), "the scripts ran: B's member has them");
            }
        }
        dave.send(text("one too many", "shed"));

        Map<String, Object> shed = nextError(dave);
        assertEquals("overloaded", shed.get("code"), "shed at once, before any reply: " + shed);
        assertEquals("shed", shed.get("client_msg_id"));
        assertEquals(List.of(), outboxEntries("shed"), "refused means not in the outbox");
        assertTrue(
                p.a().admin("GET", "/metrics", null, false).body().contains("inbox_relay_waiting " + bound + ".0"),
                "the gauge shows the bound reached");
        assertTrue(p.a().admin("GET", "/metrics", null, false)
                .body()
                .contains("inbox_limit_hits_total{limit=\"relay_waiting\"} 1.0"));

        proxy.cut();
        for (WsClient sender : senders) {
            for (int i = 0; i < perSender; i++) {
                Map<String, Object> answer = nextError(sender);
                assertEquals("outcome_unknown", answer.get("code"), answer.toString());
            }
        }
        // Bob's last frame was the last waiting message: the shed one never reached him.
        p.bob().send(text("after", "b1"));
        assertEquals("after", p.bob().nextJson().get("message"));
    }

    /**
     * Redis answers node A late (1 s, over a {@code --redis-max-latency} of 200 ms). Once a window's answers were all
     * that slow (a standing queue), a message that would wait behind another is shed at once ({@code overloaded}): it
     * reaches nobody and is not in the outbox. One that finds none waiting is sent (it probes), and once answers are
     * quick again the gate reopens within a window. So what the node admits waits about the bound, not behind a
     * queue that only grows.
     */
    @Test
    void whileEveryAnswerIsSlowerThanTheBoundAMessageThatWouldWaitBehindAnotherIsShed() {
        Pair p = pair("60s", "--redis-max-latency", "200ms");
        proxy.delayReplies(Duration.ofSeconds(1));
        List<String> admitted = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            p.alice().send(text("slow " + i, "s" + i));
        }
        for (int i = 1; i <= 4; i++) {
            assertEquals("s" + i, p.alice().nextJson().get("client_msg_id"), "acknowledged, a second late");
            admitted.add("slow " + i);
        }
        p.alice().send(text("slow 5", "s5")); // its answer, a second later, ends the window of four slow answers
        assertEquals("s5", p.alice().nextJson().get("client_msg_id"));
        admitted.add("slow 5");

        p.alice().send(text("probe", "s6"));
        p.alice().send(text("behind", "s7"));
        Map<String, Object> shed = p.alice().nextJson();
        assertEquals("overloaded", shed.get("code"), "shed at once, not queued behind s6: " + shed);
        assertEquals("s7", shed.get("client_msg_id"));
        Map<String, Object> probe = p.alice().nextJson();
        assertEquals("TEXT", probe.get("type"), "the probe is admitted: " + probe);
        assertEquals("s6", probe.get("client_msg_id"));
        admitted.add("probe");
        assertEquals(List.of(), outboxEntries("s7"), "shed means not in the outbox");

        // Quick answers again: within a window two messages sent together are both admitted.
        proxy.delayReplies(Duration.ZERO);
        int[] n = {0};
        GatewayFixture.await("two messages sent together are both admitted", () -> {
            String first = "quick " + n[0]++;
            String second = "quick " + n[0]++;
            p.alice().send(text(first, "q" + first));
            p.alice().send(text(second, "q" + second));
            Map<String, Object> a1 = p.alice().nextJson(); // a shed one is answered first, at once
            Map<String, Object> a2 = p.alice().nextJson();
            for (Map<String, Object> answer : List.of(a1, a2)) {
                assertTrue(
                        "TEXT".equals(answer.get("type")) || "overloaded".equals(answer.get("code")),
                        answer.toString());
            }
            boolean both = "TEXT".equals(a1.get("type")) && "TEXT".equals(a2.get("type"));
            for (String m : List.of(first, second)) {
                if (Stream.of(a1, a2)
                        .anyMatch(a -> ("q" + m).equals(a.get("client_msg_id")) && "TEXT".equals(a.get("type")))) {
                    admitted.add(m);
                }
            }
            return both;
        });
        for (String expected : admitted) {
            assertEquals(expected, p.bob().nextJson().get("message"), "Bob gets what was admitted, nothing shed");
        }
        assertTrue(p.a().admin("GET", "/metrics", null, false)
                .body()
                .contains("inbox_limit_hits_total{limit=\"relay_latency\"}"));
    }

    /**
     * Redis stops answering node A for good (the replies never come; the socket stays open). The sender is not kept
     * waiting for ever: the watchdog's missed pings close the connection, and the sender, whose script ran, hears
     * {@code outcome_unknown}.
     */
    @Test
    void aRedisThatNeverAnswersEndsInAnUnknownOutcomeNotAHang() {
        Pair p = pair("300ms");
        proxy.holdReplies();

        p.alice().send(text("into silence", "m3"));
        assertEquals("into silence", p.bob().nextJson().get("message"), "the script ran: B's member has it");

        Map<String, Object> answer = p.alice().nextJson(); // within WsClient.WAIT: two missed pings and the close
        assertEquals("outcome_unknown", answer.get("code"), "not refused: " + answer);
        assertEquals(1, outboxEntries("m3").size());
    }
}
