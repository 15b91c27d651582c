package dev.inbox.gateway.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.Json;
import dev.inbox.testkit.RawWebSocket;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.WsClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A member who stops reading is closed with 1013 (slow consumer, docs/protocol.md: reconnect and resume); she catches
 * up on what was queued before the close, resumes with her position, and ends with every event of her conversation
 * exactly once, in order, including those sent while she resumed: on a single node, and across two nodes over a real
 * redis-server.
 */
class SlowConsumerResumeIT {
    private static final long ANN = 1;
    private static final long BOB = 2;
    private static final long CONVERSATION = 1;
    /**
     * Bob writes in bursts of {@link #BURST} events of about 1.3 KB (260 KB, about the bound), then leaves Ann's node
     * {@link #ROUND} to give up on her. The loopback's kernel buffers take the first megabytes (how many is the
     * kernel's choice); once Ann's queue passes the bound no later burst more than doubles it, far from the 4x hard
     * cap that would close her at once (1006) instead of behind her queue (1013).
     */
    private static final String PADDING = "x".repeat(1200);

    private static final int BURST = 200;
    private static final Duration ROUND = Duration.ofSeconds(2);
    /** Bob's writes while Ann is stalled, at most: about 5 MB, more than the kernel's buffers hold. */
    private static final int FLOOD_MAX = 4000;
    /** Bob's writes between Ann's close and her return. */
    private static final int AWAY = 5;

    private static final String[] SLOW = {
        "--max-outbound-bytes", "262144",
        "--slow-consumer-grace", "1s",
        "--rate-limit", "1000",
        "--rate-burst", "1000",
        // The window holds everything the test sends, so the resume must recover all of it.
        "--history-max-events", "5000",
        "--feed-max-length", "5000",
        "--resume-max-events", "5000"
    };

    private RedisServer redis;
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
    }

    @Test
    void onASingleNodeASlowConsumerClosedWith1013ResumesWithEveryEventOnceInOrder() throws Exception {
        node = GatewayFixture.start(SLOW).awaitReady();
        closedAsSlowThenResumed(node, node);
    }

    @Test
    void acrossTwoNodesWithRedisASlowConsumerClosedWith1013ResumesWithEveryEventOnceInOrder() throws Exception {
        redis = RedisServer.start();
        String[] withRedis = Stream.concat(
                        Stream.of(SLOW),
                        // Bursts of 200 admissions on a shared, loaded machine: time enough for Redis to answer.
                        Stream.of("--redis", redis.uri(), "--redis-ping-interval", "200ms", "--redis-timeout", "5s"))
                .toArray(String[]::new);
        node = GatewayFixture.start(withRedis).awaitReady();
        other = GatewayFixture.start(withRedis).awaitReady();
        closedAsSlowThenResumed(node, other);
    }

    /** Whether {@code at} closes Ann as a slow consumer within {@code bound} (a round of the flood). */
    private static boolean givenUpWithin(GatewayFixture at, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!closedAsSlow(at)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(20_000_000);
        }
        return true;
    }

    private static boolean closedAsSlow(GatewayFixture at) {
        return at.admin("GET", "/metrics", null, false).body().contains("inbox_slow_consumer_disconnects_total 1.0");
    }

    /** Ann on {@code annOn} stalls while Bob on {@code bobOn} writes; she is closed, catches up and resumes. */
    private void closedAsSlowThenResumed(GatewayFixture annOn, GatewayFixture bobOn) throws Exception {
        annOn.members(CONVERSATION, ANN, BOB);
        WsClient bob = bobOn.connect(BOB);
        String position;
        List<Long> seen = new ArrayList<>();
        int flood = 0;
        int closeCode;
        try (RawWebSocket ann = RawWebSocket.connect(
                annOn.server().port(), "/ws/inbox/?resume=1", "Bearer " + annOn.token(ANN), 4096)) {
            ann.send(true, 0x1, ResumeIT.resume(null, Map.of()).getBytes(StandardCharsets.UTF_8), true);
            Map<String, Object> first = Json.parse(ann.read().text());
            assertEquals("RESUMED", first.get("type"), first.toString());
            position = (String) first.get("position");

            // Ann reads nothing now; Bob writes in bursts until her node has given up on her.
            while (!givenUpWithin(annOn, ROUND)) {
                assertTrue(flood < FLOOD_MAX, "Ann was never closed as a slow consumer after " + flood + " events");
                for (int i = 0; i < BURST; i++, flood++) {
                    bob.send(ResumeIT.text(CONVERSATION, "flood-" + flood + PADDING));
                }
            }
            // She reads again: what was queued before the close, then the close frame behind it.
            RawWebSocket.Frame f;
            while ((f = ann.read()).opcode() != 0x8) {
                if (f.opcode() != 0x1) {
                    continue; // the node's keepalive pings
                }
                Map<String, Object> m = Json.parse(f.text());
                assertEquals(CONVERSATION, m.get("conversation_id"), m.toString());
                seen.add((Long) m.get("message_id"));
            }
            closeCode = f.closeCode();
        }
        assertEquals(1013, closeCode, "closed as a slow consumer, told to reconnect and resume");
        // The close went behind her queue, so she has what was sent before it; what comes now she misses.
        for (int i = 0; i < AWAY; i++) {
            bob.send(ResumeIT.text(CONVERSATION, "away-" + i));
        }
        List<Long> atBob = new ArrayList<>(ResumeIT.collect(bob, flood + AWAY).get(CONVERSATION));

        // Bob keeps writing while Ann resumes.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger during = new AtomicInteger();
        Thread writer = new Thread(() -> {
            while (!stop.get() && during.get() < 30) {
                bob.send(ResumeIT.text(CONVERSATION, "during-" + during.getAndIncrement()));
                try {
                    Thread.sleep(5); // pacing, as above
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        writer.start();
        WsClient back =
                annOn.connect("/ws/inbox/?resume=1", Map.of("Authorization", "Bearer " + annOn.token(ANN)), List.of());
        back.send(ResumeIT.resume(
                position, seen.isEmpty() ? Map.of() : Map.of(CONVERSATION, seen.get(seen.size() - 1))));
        List<Map<String, Object>> replayed = new ArrayList<>();
        Map<String, Object> resumed = ResumeIT.untilResumed(back, replayed);
        stop.set(true);
        writer.join();
        atBob.addAll(ResumeIT.collect(bob, during.get()).getOrDefault(CONVERSATION, List.of()));

        assertEquals(true, resumed.get("recovered"), "recovered: " + resumed);
        assertEquals(List.of(), resumed.get("not_recovered"));
        assertEquals((long) replayed.size(), resumed.get("replayed"));
        List<Long> atAnn = new ArrayList<>(seen);
        replayed.forEach(m -> atAnn.add((Long) m.get("message_id")));
        int live = atBob.size() - atAnn.size();
        assertTrue(live >= 0, "no more than Bob sent: Ann has " + atAnn.size() + " of " + atBob.size());
        atAnn.addAll(ResumeIT.collect(back, live).getOrDefault(CONVERSATION, List.of()));
        assertEquals(atBob, atAnn, "every event once, in order, across the 1013 close and the resume");
        assertTrue(replayed.size() >= AWAY, "what was sent while she was away was replayed: " + replayed.size());
        assertEquals(0, back.pending(), "and nothing else");
        assertTrue(closedAsSlow(annOn), "counted once, as slow");
    }
}
