package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Two nodes flooded while Redis stalls again and again (each {@code CLIENT PAUSE} holds every command for 250 ms,
 * past the nodes' 100 ms {@code --redis-max-latency}): the nodes shed (issue 17), and shedding is all that happens.
 * Every message is answered; each answer is an acknowledgement or {@code overloaded}; every acknowledged message
 * reaches every other member exactly once and in id order, no shed one reaches anybody; nobody is closed (a busy
 * Redis is not a dead one: no 4002); and the nodes log a few lines, not one per shed message.
 */
class OverloadIT {
    private static final long CONVERSATION = 1;
    private static final int USERS = 8;
    private static final long PACE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private RedisServer redis;
    private final List<GatewayFixture> nodes = new ArrayList<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void start() {
        redis = RedisServer.start();
    }

    @AfterEach
    void stop() {
        root.detachAppender(logged);
        for (GatewayFixture n : nodes) {
            n.close();
        }
        redis.close();
    }

    private GatewayFixture node() {
        GatewayFixture n = GatewayFixture.start(
                        "--redis", redis.uri(),
                        "--redis-ping-interval", "500ms",
                        "--redis-timeout", "2s",
                        "--redis-max-latency", "100ms",
                        "--rate-limit", "1000000",
                        "--rate-burst", "1000000")
                .awaitReady();
        nodes.add(n);
        return n;
    }

    private static String text(long user, int n) {
        return "{\"type\":\"TEXT\",\"conversation_id\":" + CONVERSATION + ",\"message\":\"u" + user + "-" + n
                + "\",\"client_msg_id\":\"" + n + "\"}";
    }

    private void awaitSubscribed(long user) {
        GatewayFixture.await("user " + user + " is reachable on one node", () -> ReachableNodes.is(redis, user, 1));
    }

    @Test
    void floodedNodesOnAStallingRedisShedEarlyAndNothingElse() throws Exception {
        GatewayFixture a = node();
        GatewayFixture b = node();
        long[] users = new long[USERS];
        for (int i = 0; i < USERS; i++) {
            users[i] = i + 1;
        }
        a.members(CONVERSATION, users);
        List<WsClient> clients = new ArrayList<>();
        for (long u : users) {
            clients.add((u % 2 == 0 ? b : a).connect(u));
        }
        for (long u : users) {
            awaitSubscribed(u);
        }
        logged.start();
        root.addAppender(logged);

        // Redis stalls five times while everyone sends, 1 600 messages a second in all.
        AtomicBoolean stalling = new AtomicBoolean(true);
        CompletableFuture<Void> stalls = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < 5; i++) {
                    assertEquals("+OK", redis.command("CLIENT PAUSE 250 ALL"));
                    GatewayFixture.await("the pause is over", () -> {
                        try {
                            return "+PONG".equals(redis.command("PING"));
                        } catch (IOException e) {
                            return false;
                        }
                    });
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            } finally {
                stalling.set(false);
            }
        });
        int[] sent = new int[USERS];
        List<CompletableFuture<Void>> senders = new ArrayList<>();
        for (int i = 0; i < USERS; i++) {
            int k = i;
            senders.add(CompletableFuture.runAsync(() -> {
                // Paced (200 a second each), not as fast as the socket takes them: a flat-out loop per sender would
                // starve this JVM's two cores, nodes included, and test the machine rather than the nodes.
                long next = System.nanoTime();
                while (stalling.get() || sent[k] < 50) {
                    clients.get(k).send(text(users[k], sent[k]++));
                    next += PACE_NANOS;
                    LockSupport.parkNanos(next - System.nanoTime());
                }
            }));
        }
        stalls.get();
        for (CompletableFuture<Void> s : senders) {
            s.get();
        }
        // Each sender's answers, and what each member received from the others, in arrival order.
        Answers answers = new Answers(clients, users);
        for (int i = 0; i < USERS; i++) {
            while (answers.count[i] < sent[i]) {
                answers.take(i);
            }
        }
        // Then a last message from each, resent until admitted: what a member received before all of them (per
        // conversation, in id order) is everything it will get.
        String[] last = new String[USERS];
        for (int i = 0; i < USERS; i++) {
            while (last[i] == null) {
                int n = sent[i]++;
                clients.get(i).send(text(users[i], n));
                while (answers.count[i] < sent[i]) {
                    answers.take(i);
                }
                String m = "u" + users[i] + "-" + n;
                last[i] = answers.acked.containsKey(m) ? m : null;
            }
        }
        for (int i = 0; i < USERS; i++) {
            for (int k = 0; k < USERS; k++) {
                while (k != i && !answers.receivedText(i).contains(last[k])) {
                    answers.take(i);
                }
            }
        }
        Map<String, Long> acked = answers.acked;
        Set<String> shed = answers.shed;
        List<List<Map<String, Object>>> received = answers.others;

        System.out.printf(
                "overload: %d sent, %d admitted, %d shed%n", IntStream.of(sent).sum(), acked.size(), shed.size());
        assertFalse(shed.isEmpty(), "the stalls pushed the nodes past their bound (else this test shows nothing)");
        for (int i = 0; i < USERS; i++) {
            String own = "u" + users[i] + "-";
            List<String> expected = acked.keySet().stream()
                    .filter(m -> !m.startsWith(own))
                    .sorted((x, y) -> Long.compare(acked.get(x), acked.get(y)))
                    .toList();
            List<String> got =
                    received.get(i).stream().map(f -> (String) f.get("message")).toList();
            for (String m : got) {
                assertFalse(shed.contains(m), m + " was shed, yet user " + users[i] + " received it");
            }
            assertEquals(expected, got, "user " + users[i] + ": every acknowledged message, once, in id order");
            assertFalse(clients.get(i).isClosedByServer(), "nobody is closed for the node being busy");
        }
        long warnings = logged.list.stream()
                .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .count();
        assertTrue(
                warnings <= 10,
                shed.size() + " shed, and " + warnings + " warnings: "
                        + logged.list.stream()
                                .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                                .limit(5)
                                .map(ILoggingEvent::getFormattedMessage)
                                .toList());
        assertEquals(0, nodes.stream().mapToInt(n -> n.readyz() == 200 ? 0 : 1).sum(), "both nodes ready");
    }

    /** What the members' connections brought: each sender's answers, and the others' messages in arrival order. */
    private static final class Answers {
        final List<WsClient> clients;
        final long[] users;
        final int[] count;
        final Map<String, Long> acked = new HashMap<>(); // message text -> message_id
        final Set<String> shed = new HashSet<>();
        final List<List<Map<String, Object>>> others = new ArrayList<>();

        Answers(List<WsClient> clients, long[] users) {
            this.clients = clients;
            this.users = users;
            this.count = new int[users.length];
            for (int i = 0; i < users.length; i++) {
                others.add(new ArrayList<>());
            }
        }

        /** Reads member {@code i}'s next frame and files it. */
        void take(int i) {
            Map<String, Object> f = clients.get(i).nextJson();
            if (!f.containsKey("client_msg_id")) {
                assertEquals("TEXT", f.get("type"), f.toString());
                others.get(i).add(f);
                return;
            }
            count[i]++;
            String mine = "u" + users[i] + "-" + f.get("client_msg_id");
            if ("TEXT".equals(f.get("type"))) {
                acked.put(mine, (Long) f.get("message_id"));
            } else {
                assertEquals("overloaded", f.get("code"), "only shed, never refused otherwise: " + f);
                shed.add(mine);
            }
        }

        List<String> receivedText(int i) {
            return others.get(i).stream().map(f -> (String) f.get("message")).toList();
        }
    }
}
