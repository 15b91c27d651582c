package dev.inbox.gateway.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.inbox.gateway.relay.ReachableNodes;
import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * More resumes at once than a node's slots (docs/protocol.md, "Resume"): they wait their turn and are all answered;
 * without a queue the ones beyond the slots are told {@code resume_busy} and closed with 1013. Redis's writes are
 * paused ({@code CLIENT PAUSE WRITE}: scripts wait, subscriptions go on) while the resumes arrive, so they pile up
 * behind the first feed read. Which ones meet a full slot depends on when their subscriptions are confirmed, so the
 * exact counts are {@link ResumeSlotsTest}'s, with a clock of its own.
 */
class ResumeStormIT {
    private static final int CLIENTS = 20;

    private RedisServer redis;
    private GatewayFixture node;

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void resumesBeyondTheSlotsWaitTheirTurnAndAreAllAnswered() {
        List<WsClient> clients = storm("--resume-concurrency", "1");
        resumeWrites();

        for (WsClient c : clients) {
            Map<String, Object> resumed = ResumeIT.untilResumed(c, new ArrayList<>());
            assertEquals("no_position", resumed.get("reason"), "answered: " + resumed);
        }
        assertEquals(0.0, sample("inbox_resumes_waiting"));
        assertEquals(0.0, sample("inbox_resumes_total{outcome=\"busy\"}"), "nobody was sent away");
        assertEquals(CLIENTS, sample("inbox_resumes_total{outcome=\"no_position\"}"));
    }

    @Test
    void withoutAQueueAResumeBeyondTheSlotsIsToldBusyAndClosedWith1013() {
        List<WsClient> clients = storm("--resume-concurrency", "1", "--resume-queue", "0");
        resumeWrites();

        int busy = 0;
        for (WsClient c : clients) {
            Map<String, Object> first = c.nextJson();
            if ("ERROR".equals(first.get("type"))) {
                assertEquals("resume_busy", first.get("code"), "refused: " + first);
                assertEquals(1013, c.awaitClose());
                busy++;
            } else {
                assertEquals("RESUMED", first.get("type"), "answered: " + first);
            }
        }
        assertEquals(busy, sample("inbox_resumes_total{outcome=\"busy\"}"), "each refusal counted");
        assertEquals(CLIENTS - busy, sample("inbox_resumes_total{outcome=\"no_position\"}"));
    }

    /**
     * {@link #CLIENTS} users connect with {@code ?resume=1} to a node with {@code flags}; once Redis lists their
     * channels its writes are paused and every one of them sends its {@code RESUME}.
     */
    private List<WsClient> storm(String... flags) {
        redis = RedisServer.start();
        List<String> args = new ArrayList<>(List.of(
                "--redis",
                redis.uri(),
                // Long enough that a paused read is not timed out.
                "--redis-ping-interval",
                "10s",
                "--redis-timeout",
                "10s"));
        args.addAll(List.of(flags));
        node = GatewayFixture.start(args.toArray(new String[0])).awaitReady();
        List<WsClient> clients = new ArrayList<>();
        for (long user = 1; user <= CLIENTS; user++) {
            clients.add(node.connect(
                    "/ws/inbox/?resume=1", Map.of("Authorization", "Bearer " + node.token(user)), List.of()));
        }
        GatewayFixture.await("every user's channel subscribed", this::allSubscribed);
        command("CLIENT PAUSE 60000 WRITE");
        clients.forEach(c -> c.send(ResumeIT.resume(null, Map.of())));
        return clients;
    }

    private void resumeWrites() {
        command("CLIENT UNPAUSE");
    }

    private void command(String inline) {
        try {
            assertEquals("+OK", redis.command(inline));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private boolean allSubscribed() {
        int[] nodes = ReachableNodes.of(
                redis, LongStream.rangeClosed(1, CLIENTS).boxed().toList());
        return nodes != null && Arrays.stream(nodes).allMatch(n -> n == 1);
    }

    /** A sample of the node's scrape, by its name and labels as written there; 0 when absent. */
    private double sample(String sample) {
        String metrics = node.admin("GET", "/metrics", null, false).body();
        for (String line : metrics.split("\n")) {
            if (line.startsWith(sample + " ")) {
                return Double.parseDouble(line.substring(sample.length() + 1).trim());
            }
        }
        return 0;
    }
}
