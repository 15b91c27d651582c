package dev.inbox.gateway.soak;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.soak.Verdict.Count;
import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.GatewayProcess;
import dev.inbox.testkit.NodeProcess;
import dev.inbox.testkit.PrometheusText;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.Tokens;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The soak scenario: two gateway processes and one Redis, a steady cohort of connections open for the whole run and
 * a churning population connecting, chatting and disconnecting at a steady rate, every conversation spanning both
 * nodes, and Redis killed and restarted once in the middle. It asserts, and reports:
 *
 * <ul>
 *   <li>the {@link Ledger}'s accounting: every message answered once; every acknowledged message delivered exactly
 *       once, in order, to every steady member client (those open across the outage are closed with 4002 once
 *       Redis is back; every client the server closes resumes with its position, see {@link Reconnects}, and must
 *       then have everything exactly once across its connections, live or replayed);
 *       nothing refused delivered, not even at the crash (a message whose answer died with Redis is
 *       {@code outcome_unknown}, allowed only during the outage);
 *       {@code relay_unavailable} only while Redis was away; and the gateways admitted exactly what was
 *       acknowledged;</li>
 *   <li>the outbox: every acknowledged message in it exactly once, with the id its sender was told, and nothing
 *       refused in it: every entry was acknowledged, answered {@code outcome_unknown}, or never answered;</li>
 *   <li>each node, once every client has left and after a full GC, back to its warmed-up baseline: heap, direct
 *       memory, threads and file descriptors within {@link SoakSettings}' margins, and no Netty leak report in its
 *       log (the nodes run with leak detection at {@code soak.nodeLeakDetection}).</li>
 * </ul>
 *
 * <p>Settings come from {@code -Dsoak.*} (see {@link SoakSettings}); the defaults are the short version that runs in
 * every build, {@code -Psoak} the long one. The report goes to stdout and {@code target/soak/soak-report.txt}, the
 * nodes' logs beside it.
 */
class SoakIT {
    private static final List<String> NODE_NAMES = List.of("A", "B");
    /**
     * A third node, drained (SIGTERM) a quarter into the traffic: its clients are closed with 1001 and resume on A or
     * B, as a load balancer would send them. It is not measured (it is gone by the end) and its clients only listen,
     * so the nodes that are measured admitted every message.
     */
    private static final String DRAINED_NAME = "C";

    private static final int DRAINED_NODE = 2;
    private static final int DRAIN_COHORT = 20;
    private static final long FIRST_DRAIN_USER = 500_001;
    private static final int TICK_MILLIS = 10;
    /** How long the soak waits for something that should happen at once (a reply, a subscription, a close). */
    private static final Duration BOUND = Duration.ofSeconds(30);

    private static final long FIRST_CHURN_USER = 1_000_001;
    private static final long FIRST_WARM_UP_USER = 9_000_001;
    private static final int WARM_UP_PER_NODE = 16;

    private final SoakSettings settings = SoakSettings.from(System.getProperties());
    private final Path dir = Path.of("target", "soak");
    private final HttpClient adminHttp = HttpClient.newHttpClient();
    private final ExecutorService clientThreads = Executors.newFixedThreadPool(4, daemon("soak-client"));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(daemon("soak-timer"));
    private final List<GatewayProcess> nodes = new ArrayList<>();
    private final List<HttpClient> clients = new ArrayList<>();
    private final Map<Long, String> tokens = new java.util.concurrent.ConcurrentHashMap<>();
    private RedisServer redis;
    private GatewayProcess drained;

    @AfterEach
    void stop() {
        timer.shutdownNow();
        for (GatewayProcess n : nodes) {
            n.close();
        }
        if (drained != null) {
            drained.close();
        }
        if (redis != null) {
            try {
                Files.copy(redis.log(), dir.resolve("redis.log"), StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                System.err.println("soak: cannot keep the Redis log: " + e);
            }
            redis.close();
        }
        clientThreads.shutdownNow();
    }

    @Test
    void connectionsChurnAcrossTwoNodesThroughARedisRestartWithoutLossOrGrowth() throws Exception {
        long startedAt = System.nanoTime();
        Files.createDirectories(dir);
        // Every write on disk before it is answered or published: a Redis killed and restarted keeps every event it
        // delivered in the feeds and histories, so a resume after the outage is within the history window.
        redis = RedisServer.start("--appendfsync", "always");
        startNodes();
        SplittableRandom random = new SplittableRandom(settings.seed());
        String padding = "x".repeat(settings.messageChars());
        List<String> failures = new ArrayList<>();

        // Membership, through node A's admin API (it lives in Redis, so node B sees the same).
        Map<Long, long[]> cohortConversations = new HashMap<>();
        Map<Long, long[]> churnConversations = new HashMap<>();
        Map<Long, List<Long>> members = new HashMap<>();
        for (long u = 1; u <= settings.cohort(); u++) {
            cohortConversations.put(u, pick(random, settings.conversationsPerUser(), members, u));
        }
        for (long u = FIRST_CHURN_USER; u < FIRST_CHURN_USER + settings.churnUsers(); u++) {
            churnConversations.put(u, pick(random, 1, members, u));
        }
        Map<Long, long[]> drainConversations = new HashMap<>();
        for (long u = FIRST_DRAIN_USER; u < FIRST_DRAIN_USER + DRAIN_COHORT; u++) {
            drainConversations.put(u, pick(random, settings.conversationsPerUser(), members, u));
        }
        long warmUpConversation = settings.conversations() + 1L;
        List<Long> warmUpUsers = new ArrayList<>();
        for (long u = FIRST_WARM_UP_USER; u < FIRST_WARM_UP_USER + 2 * WARM_UP_PER_NODE + NODE_NAMES.size(); u++) {
            warmUpUsers.add(u);
        }
        members.put(warmUpConversation, warmUpUsers);
        members.forEach((conv, users) -> nodes.get(0).members(conv, users));
        long spanning = members.entrySet().stream()
                .filter(e -> e.getKey() != warmUpConversation)
                .filter(e -> e.getValue().stream().anyMatch(u -> u < FIRST_CHURN_USER && nodeOf(u) == 0)
                        && e.getValue().stream().anyMatch(u -> u < FIRST_CHURN_USER && nodeOf(u) == 1))
                .count();

        // Warm-up: every event loop used, code compiled, lazily started threads started; then the baseline.
        warmUp(warmUpUsers, warmUpConversation, padding);
        List<NodeResources> before = measureAll();
        List<PrometheusText> countersBefore = scrapeAll();

        // The cohort: open for the whole run (reconnecting when told to by 4002), subscribed on both nodes before the
        // first message.
        Ledger ledger = new Ledger();
        List<SoakConnection> opened = openCohort(ledger, cohortConversations);
        opened.addAll(openOnDrained(ledger, drainConversations));
        AtomicReferenceArray<SoakConnection> cohort = new AtomicReferenceArray<>(opened.toArray(new SoakConnection[0]));
        ChannelWatch watch = new ChannelWatch(redis);
        List<List<Long>> cohortUsersByNode = new ArrayList<>();
        for (int n = 0; n < nodes.size(); n++) {
            int node = n;
            cohortUsersByNode.add(cohortConversations.keySet().stream()
                    .filter(u -> nodeOf(u) == node)
                    .sorted()
                    .toList());
        }
        long[] subscribed = watch.awaitSubscribed(cohortUsersByNode, BOUND);
        for (long at : subscribed) {
            assertTrue(at != Long.MAX_VALUE, "the cohort's user channels were not all subscribed within " + BOUND);
        }
        assertTrue(
                watch.awaitSubscribed(
                                        List.of(drainConversations.keySet().stream()
                                                .sorted()
                                                .toList()),
                                        BOUND)[0]
                        != Long.MAX_VALUE,
                "the drained node's users were not subscribed within " + BOUND);
        assertTrue(
                awaitCondition(BOUND, () -> current(cohort).stream().allMatch(SoakConnection::live)),
                "the cohort's first RESUMED did not all arrive within " + BOUND);
        long readyAt = System.nanoTime();
        current(cohort).forEach(c -> c.conn().ready(readyAt));
        List<GatewayProcess> allNodes = new ArrayList<>(nodes);
        allNodes.add(drained);
        Reconnects reconnects = new Reconnects(
                cohort,
                ledger,
                clients,
                allNodes,
                this::token,
                (node, user) -> node == DRAINED_NODE ? nodeOf(user) : node);

        // Traffic: the cohort chats at a steady rate, the churn comes and goes; Redis goes away in the middle.
        Churn churn = new Churn(
                settings, nodes, clients, ledger, churnConversations, this::token, timer, random.split(), padding);
        SplittableRandom senders = random.split();
        double[] budget = {0};
        double[] cpuBefore = nodes.stream().mapToDouble(SoakIT::cpuSeconds).toArray();
        String loadBefore = loadAverage();
        long trafficAt = System.nanoTime();
        ScheduledFuture<?> ticks = timer.scheduleAtFixedRate(
                () -> {
                    churn.tick(TICK_MILLIS);
                    budget[0] += settings.messagesPerSecond() * TICK_MILLIS / 1000.0;
                    for (; budget[0] >= 1; budget[0]--) {
                        SoakConnection c = cohort.get(senders.nextInt(settings.cohort())); // C's only listen
                        long[] convs = c.conn().conversations();
                        int conversation = senders.nextInt(convs.length);
                        if (c.live()) { // not between a close and its resume
                            c.send(convs[conversation], padding);
                        }
                    }
                },
                0,
                TICK_MILLIS,
                TimeUnit.MILLISECONDS);
        parkUntil(trafficAt + settings.duration().toNanos() / 4);
        long drainAt = System.nanoTime();
        Thread draining = new Thread(drained::close, "soak-drain"); // SIGTERM: the node drains, then exits
        draining.start();
        Outage outage = Outage.NONE;
        if (!settings.outage().isZero()) {
            long half = settings.duration().toNanos() / 2;
            parkUntil(trafficAt + half - settings.outage().toNanos() / 2);
            outage = redisOutage(watch, cohortUsersByNode, failures);
        }
        parkUntil(trafficAt + settings.duration().toNanos());
        ticks.cancel(false);
        long stoppedAt = System.nanoTime();
        draining.join(BOUND.toMillis());
        if (drained.isAlive()) {
            failures.add("node " + DRAINED_NAME + " still runs " + BOUND + " after its SIGTERM");
        }

        // Quiesce: the churn leaves, the cohort is back whole (every slot told 4002 reconnected and steady), every
        // message is answered, then one marker per conversation: since each connection receives a conversation in
        // message_id order, a marker's arrival means nothing is in flight.
        GatewayProcess.await(churn.stop(), settings.churnLifeMax().plus(BOUND), "the churn to leave");
        if (!awaitCondition(
                BOUND, () -> reconnects.idle() && current(cohort).stream().allMatch(SoakConnection::live))) {
            failures.add("the cohort's connections closed by the server did not all resume within " + BOUND);
        }
        reconnects.close();
        failures.addAll(reconnects.problems());
        GatewayProcess.await(
                CompletableFuture.allOf(current(cohort).stream()
                        .map(SoakConnection::allAnswered)
                        .toArray(CompletableFuture[]::new)),
                BOUND,
                "answers to the cohort's messages");
        boolean quiet = awaitMarkers(current(cohort), padding);
        if (!quiet) {
            failures.add("markers did not reach every steady member within " + BOUND + " (see lost below)");
        }
        long quiescedAt = System.nanoTime();
        ledger.quiesced(quiescedAt);
        List<Ledger.OutboxEntry> outbox = readOutbox(warmUpConversation);
        StringBuilder cpu = new StringBuilder();
        for (int i = 0; i < nodes.size(); i++) {
            cpu.append(String.format(
                    java.util.Locale.ROOT,
                    "node %s %.1f s, ",
                    NODE_NAMES.get(i),
                    cpuSeconds(nodes.get(i)) - cpuBefore[i]));
        }
        cpu.append("load average ").append(loadBefore).append(" -> ").append(loadAverage());

        // Everyone leaves; each node must drop to zero connections, then back to its baseline.
        List<CompletableFuture<Integer>> closing =
                current(cohort).stream().map(SoakConnection::close).toList();
        try {
            GatewayProcess.await(
                    CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)), BOUND, "the cohort's closes");
        } catch (AssertionError e) {
            failures.add(e.getMessage());
            current(cohort).forEach(SoakConnection::abort);
        }
        for (GatewayProcess n : nodes) {
            if (!awaitCondition(BOUND, () -> n.metrics().value("inbox_connections") == 0)) {
                failures.add("node " + n.name() + " still counts " + n.metrics().value("inbox_connections")
                        + " connections");
            }
        }
        List<NodeResources> after = measureAll();
        List<PrometheusText> countersAfter = scrapeAll();
        List<String> leaks = leakProbe(warmUpUsers, warmUpConversation, padding);

        Verdict verdict = ledger.verdict(outage, outbox);
        ledger.outbox(outbox, outage, verdict);
        failures.addAll(verdict.failures());
        for (int i = 0; i < nodes.size(); i++) {
            for (String problem : before.get(i).exceededBy(after.get(i), settings)) {
                failures.add("node " + NODE_NAMES.get(i) + ": " + problem);
            }
        }
        failures.addAll(leaks);
        long routed = 0;
        for (int i = 0; i < nodes.size(); i++) {
            routed += delta(
                    countersBefore.get(i), countersAfter.get(i), "inbox_messages_routed_total", "source=\"client\"");
        }
        // A message sent as its connection was closed (4002) may have been admitted with its answer cut off.
        long unknown = verdict.get(Count.UNANSWERED_AT_TOLD_CLOSE);
        if (routed < verdict.get(Count.ACKED) || routed > verdict.get(Count.ACKED) + unknown) {
            failures.add("the nodes admitted " + routed + " client messages, the clients saw "
                    + verdict.get(Count.ACKED) + " acknowledged (and " + unknown + " unanswered at a 4002 close)");
        }

        SoakReport report = new SoakReport()
                .line("soak %s, %s", Instant.now(), settings.describe())
                .line(
                        "timeline (s after traffic began): node %s drained from %.2f; %s; traffic stopped %.2f;"
                                + " quiet %.2f; whole test %.1f s",
                        DRAINED_NAME,
                        seconds(drainAt - trafficAt),
                        describe(outage, trafficAt),
                        seconds(stoppedAt - trafficAt),
                        seconds(quiescedAt - trafficAt),
                        seconds(System.nanoTime() - startedAt))
                .line(
                        "connections: cohort %d (steady, %d per node, and %d listening on node %s until its drain; %d resumed after a"
                                + " server close), churn %d opened"
                                + " (peak %d at once; pool empty %d ticks); conversations %d, %d with cohort members on"
                                + " both nodes",
                        settings.cohort(),
                        settings.cohort() / nodes.size(),
                        DRAIN_COHORT,
                        DRAINED_NAME,
                        reconnects.reconnected(),
                        churn.opened(),
                        churn.peak(),
                        churn.poolEmpty(),
                        settings.conversations(),
                        spanning)
                .line(
                        "rates: %.0f messages/s, %.0f frames/s received by the clients; CPU over the traffic: %s",
                        verdict.get(Count.SENT) / seconds(stoppedAt - trafficAt),
                        verdict.get(Count.FRAMES) / seconds(quiescedAt - trafficAt),
                        cpu)
                .verdict(verdict)
                .line("node counters over the run: %s", nodeCounters(countersBefore, countersAfter))
                .resources(NODE_NAMES, before, after, settings)
                .line("%s", failures.isEmpty() ? "PASS" : "FAIL:\n  " + String.join("\n  ", failures));
        System.out.println(report);
        Files.writeString(dir.resolve("soak-report.txt"), report.toString(), StandardCharsets.UTF_8);
        assertTrue(failures.isEmpty(), String.join("\n", failures) + "\n\n" + report);
    }

    /**
     * Every entry of every outbox stream, as a backend would find them, but the warm-up's: the soak's messages name
     * themselves in their {@code client_msg_id} ({@code c<seq>}).
     */
    private List<Ledger.OutboxEntry> readOutbox(long warmUpConversation) {
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis.uri());
        try (var connection = client.connect()) {
            var commands = connection.sync();
            List<Ledger.OutboxEntry> entries = new ArrayList<>();
            for (String stream : commands.smembers("inbox:outbox:streams")) {
                for (var m : commands.xrange(stream, io.lettuce.core.Range.create("-", "+"))) {
                    long conversation = Long.parseLong(m.getBody().get("conversation_id"));
                    if (conversation != warmUpConversation) {
                        entries.add(new Ledger.OutboxEntry(
                                Integer.parseInt(
                                        m.getBody().get("client_msg_id").substring(1)),
                                conversation,
                                Long.parseLong(m.getBody().get("message_id"))));
                    }
                }
            }
            return entries;
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private void startNodes() throws IOException {
        List<CompletableFuture<GatewayProcess>> starting = new ArrayList<>();
        List<String> names = new ArrayList<>(NODE_NAMES);
        names.add(DRAINED_NAME);
        for (String name : names) {
            HttpClient ws = HttpClient.newBuilder().executor(clientThreads).build();
            clients.add(ws);
            starting.add(GatewayProcess.start(
                    name,
                    dir.resolve("node-" + name + ".log"),
                    List.of(
                            "-Xmx" + settings.nodeHeap(),
                            "-XX:+UseG1GC",
                            "-Xlog:gc:file=" + dir.toAbsolutePath().resolve("node-" + name + "-gc.log"),
                            "-Dio.netty.leakDetection.level=" + settings.nodeLeakDetection()),
                    GatewayProcess.onLoopback(
                            "--jwt-secret",
                            GatewayFixture.SECRET,
                            "--api-key",
                            GatewayFixture.API_KEY,
                            "--worker-threads",
                            "4",
                            // Pings often, to see a dead Redis soon; the command timeout stays the default.
                            "--redis",
                            redis.uri(),
                            "--redis-ping-interval",
                            "500ms",
                            "--redis-gap-window",
                            Outage.GAP_WINDOW_NANOS / 1_000_000 + "ms",
                            // One client address opens everything, at test speed.
                            "--rate-limit",
                            "1000000",
                            "--rate-burst",
                            "1000000",
                            "--max-handshakes-per-ip",
                            "1000000",
                            "--max-connections-per-ip",
                            "1000000",
                            "--drain-delay",
                            "1s",
                            "--drain-window",
                            "1s",
                            "--drain-deadline",
                            "5s"),
                    adminHttp,
                    GatewayFixture.API_KEY));
        }
        for (CompletableFuture<GatewayProcess> s : starting) {
            nodes.add(GatewayProcess.await(s, BOUND.multipliedBy(2), "a gateway process to start"));
        }
        drained = nodes.remove(DRAINED_NODE); // the measured nodes are A and B; clients keeps C's at DRAINED_NODE
        for (GatewayProcess n : List.of(nodes.get(0), nodes.get(1), drained)) {
            assertTrue(awaitCondition(BOUND, () -> n.readyz() == 200), "node " + n.name() + " reaches Redis");
        }
    }

    /** The cohort's connections now (a slot's connection is replaced when it reconnects after a 4002). */
    private static List<SoakConnection> current(AtomicReferenceArray<SoakConnection> cohort) {
        List<SoakConnection> all = new ArrayList<>(cohort.length());
        for (int i = 0; i < cohort.length(); i++) {
            all.add(cohort.get(i));
        }
        return all;
    }

    /** Puts {@code user} into {@code count} distinct random conversations (1..conversations). */
    private long[] pick(SplittableRandom random, int count, Map<Long, List<Long>> members, long user) {
        Set<Long> chosen = new LinkedHashSet<>();
        while (chosen.size() < count) {
            chosen.add(1L + random.nextInt(settings.conversations()));
        }
        for (long conv : chosen) {
            members.computeIfAbsent(conv, k -> new ArrayList<>()).add(user);
        }
        return chosen.stream().mapToLong(Long::longValue).toArray();
    }

    /** Cohort users alternate between the nodes. */
    private static int nodeOf(long cohortUser) {
        return (int) (cohortUser % 2);
    }

    private String token(long user) {
        return tokens.computeIfAbsent(
                user,
                u -> Tokens.hs256(GatewayFixture.SECRET, u, settings.duration().plusHours(1)));
    }

    /**
     * Brings each node to the state it should return to: Redis restarted once (Lettuce starts the rest of its pools
     * at its first reconnect), then WARM_UP_PER_NODE users on each node (every event loop used) sending a few
     * messages across nodes, then all of them gone.
     */
    private void warmUp(List<Long> users, long conversation, String padding) {
        redis.kill();
        for (GatewayProcess n : nodes) {
            assertTrue(
                    awaitCondition(BOUND, () -> n.metrics().value("inbox_redis_up") == 0),
                    "node " + n.name() + " notices Redis gone (warm-up)");
        }
        redis.restart();
        for (GatewayProcess n : nodes) {
            assertTrue(awaitCondition(BOUND, () -> n.readyz() == 200), "node " + n.name() + " back (warm-up)");
        }
        Ledger ledger = new Ledger();
        List<CompletableFuture<SoakConnection>> opening = new ArrayList<>();
        for (int i = 0; i < 2 * WARM_UP_PER_NODE; i++) {
            long user = users.get(i);
            int node = i % nodes.size();
            opening.add(SoakConnection.open(
                    clients.get(node),
                    nodes.get(node).ws(),
                    token(user),
                    ledger,
                    ledger.register(user, node, new long[] {conversation})));
        }
        List<SoakConnection> warm = new ArrayList<>();
        for (CompletableFuture<SoakConnection> o : opening) {
            SoakConnection c = GatewayProcess.await(o, BOUND, "a warm-up connection");
            assertTrue(c != null, "a warm-up connection was refused");
            warm.add(c);
        }
        for (int round = 0; round < 4; round++) {
            warm.forEach(c -> c.send(conversation, padding));
        }
        GatewayProcess.await(
                CompletableFuture.allOf(
                        warm.stream().map(SoakConnection::allAnswered).toArray(CompletableFuture[]::new)),
                BOUND,
                "answers to the warm-up");
        GatewayProcess.await(
                CompletableFuture.allOf(warm.stream().map(SoakConnection::close).toArray(CompletableFuture[]::new)),
                BOUND,
                "the warm-up closes");
        for (GatewayProcess n : nodes) {
            assertTrue(
                    awaitCondition(BOUND, () -> n.metrics().value("inbox_connections") == 0),
                    "node " + n.name() + " back to zero connections after the warm-up");
        }
    }

    /** The drained node's clients, opened resuming on it. */
    private List<SoakConnection> openOnDrained(Ledger ledger, Map<Long, long[]> conversations) {
        assertTrue(awaitCondition(BOUND, () -> drained.readyz() == 200), "node " + DRAINED_NAME + " back (warm-up)");
        List<SoakConnection> out = new ArrayList<>();
        for (long user : conversations.keySet().stream().sorted().toList()) {
            SoakConnection c = GatewayProcess.await(
                    SoakConnection.openResuming(
                            clients.get(DRAINED_NODE),
                            drained.ws(),
                            token(user),
                            ledger,
                            ledger.register(user, DRAINED_NODE, conversations.get(user)),
                            new SoakConnection.Position()),
                    BOUND,
                    "a connection to the drained node");
            assertTrue(c != null, "a connection to the drained node was refused");
            out.add(c);
        }
        return out;
    }

    private List<SoakConnection> openCohort(Ledger ledger, Map<Long, long[]> conversations) {
        List<SoakConnection> cohort = new ArrayList<>();
        List<Long> users = conversations.keySet().stream().sorted().toList();
        // Bursts no larger than a node's --resume-concurrency (64), each resumed before the next: more at once would
        // wait for a slot, and past --resume-max-wait on a loaded machine be refused with resume_busy (1013), as the
        // docs promise, and the cohort would start short.
        int batch = 64;
        for (int from = 0; from < users.size(); from += batch) {
            List<CompletableFuture<SoakConnection>> opening = new ArrayList<>();
            List<SoakConnection> opened = new ArrayList<>();
            for (long user : users.subList(from, Math.min(users.size(), from + batch))) {
                int node = nodeOf(user);
                opening.add(SoakConnection.openResuming(
                        clients.get(node),
                        nodes.get(node).ws(),
                        token(user),
                        ledger,
                        ledger.register(user, node, conversations.get(user)),
                        new SoakConnection.Position()));
            }
            for (CompletableFuture<SoakConnection> o : opening) {
                SoakConnection c = GatewayProcess.await(o, BOUND, "a cohort connection");
                assertTrue(
                        c != null,
                        "a cohort connection was refused: "
                                + ledger.verdict(Outage.NONE).examples(Count.UPGRADES_REFUSED));
                cohort.add(c);
                opened.add(c);
            }
            assertTrue(
                    awaitCondition(
                            BOUND,
                            () -> opened.stream()
                                    .allMatch(c -> c.live() || !c.conn().isOpen())),
                    "a burst of the cohort was not resumed within " + BOUND);
        }
        for (long u = FIRST_CHURN_USER; u < FIRST_CHURN_USER + settings.churnUsers(); u++) {
            token(u); // the churn's tokens, minted before the clock runs
        }
        return cohort;
    }

    /**
     * Kills Redis, waits until both nodes see it gone, keeps it away for {@code soak.outage}, restarts it, and
     * watches each node subscribe its users again.
     */
    private Outage redisOutage(ChannelWatch watch, List<List<Long>> usersByNode, List<String> failures) {
        long killedAt = System.nanoTime();
        redis.kill();
        long deadAt = System.nanoTime();
        for (GatewayProcess n : nodes) {
            if (!awaitCondition(BOUND, () -> n.metrics().value("inbox_redis_up") == 0)) {
                failures.add("node " + n.name() + " never reported Redis down");
            }
        }
        parkUntil(killedAt + settings.outage().toNanos());
        // From its launch: a node may resubscribe, and close with 4002, while the new server still loads its data.
        long restartedAt = System.nanoTime();
        redis.restart();
        long[] resubscribed = watch.awaitSubscribed(usersByNode, BOUND);
        for (int i = 0; i < nodes.size(); i++) {
            if (resubscribed[i] == Long.MAX_VALUE) {
                failures.add("node " + NODE_NAMES.get(i) + " did not subscribe its users again within " + BOUND
                        + " of Redis coming back");
            }
        }
        for (GatewayProcess n : nodes) {
            if (!awaitCondition(BOUND, () -> n.readyz() == 200)) {
                failures.add("node " + n.name() + " not ready again within " + BOUND + " of Redis coming back");
            }
        }
        return new Outage(killedAt, deadAt, restartedAt, resubscribed);
    }

    /** Sends one marker into each conversation and waits until every steady member has it. */
    private boolean awaitMarkers(List<SoakConnection> cohort, String padding) {
        Map<Long, List<SoakConnection>> byConversation = new HashMap<>();
        for (SoakConnection c : cohort) {
            for (long conv : c.conn().conversations()) {
                byConversation.computeIfAbsent(conv, k -> new ArrayList<>()).add(c);
            }
        }
        // A marker may be shed (overloaded) on a loaded machine, as any message may: resent, as a client would.
        Map<Ledger.Msg, List<SoakConnection>> markers = new HashMap<>();
        for (Map.Entry<Long, List<SoakConnection>> e : byConversation.entrySet()) {
            Ledger.Msg marker = null;
            for (int attempt = 0; attempt < 10 && (marker == null || !marker.acked()); attempt++) {
                Ledger.Msg sent = e.getValue().get(0).send(e.getKey(), padding);
                if (!awaitCondition(BOUND, () -> sent.answeredAt() != 0)) {
                    return false;
                }
                marker = sent;
            }
            if (!marker.acked()) {
                return false;
            }
            markers.put(marker, e.getValue());
        }
        return awaitCondition(
                BOUND,
                () -> markers.entrySet().stream()
                        .allMatch(e -> e.getValue().stream()
                                .allMatch(c -> c.conn() == e.getKey().sender
                                        || c.conn().has(e.getKey().seq()))));
    }

    /**
     * After the final measurement: one short conversation per node, so Netty's leak detector (which reports when a
     * buffer is allocated after a leaked one was collected) gets its chance; then the logs are read for reports.
     */
    private List<String> leakProbe(List<Long> warmUpUsers, long conversation, String padding) throws IOException {
        Ledger ledger = new Ledger();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            long user = warmUpUsers.get(warmUpUsers.size() - 1 - i);
            GatewayProcess n = nodes.get(i);
            SoakConnection c = GatewayProcess.await(
                    SoakConnection.open(
                            clients.get(i), n.ws(), token(user), ledger, ledger.register(user, i, new long[] {
                                conversation
                            })),
                    BOUND,
                    "the leak probe's connection");
            assertTrue(c != null, "the leak probe's connection was refused");
            c.send(conversation, padding);
            GatewayProcess.await(c.allAnswered(), BOUND, "the leak probe's answer");
            GatewayProcess.await(c.close(), BOUND, "the leak probe's close");
            String closeLine = "close user=" + user + " ";
            if (!awaitCondition(BOUND, () -> {
                try {
                    return !n.logLines(closeLine, 1).isEmpty();
                } catch (IOException e) {
                    return false;
                }
            })) {
                problems.add("node " + n.name() + " never logged the leak probe's close");
            }
            for (String leak : n.logLines("LEAK:", 3)) {
                problems.add("node " + n.name() + " reported a leak (see " + n.log() + "): " + leak);
            }
        }
        return problems;
    }

    /** CPU time the node has used so far, user and system. */
    private static double cpuSeconds(GatewayProcess n) {
        try {
            return new NodeProcess(n.pid()).cpuNanos() / 1e9;
        } catch (IOException e) {
            throw new AssertionError(n.name() + ": cannot read its CPU time", e);
        }
    }

    private List<NodeResources> measureAll() {
        List<NodeResources> out = new ArrayList<>();
        for (GatewayProcess n : nodes) {
            out.add(NodeResources.measureAfterGc(n));
        }
        return out;
    }

    private List<PrometheusText> scrapeAll() {
        return nodes.stream().map(GatewayProcess::metrics).toList();
    }

    private static long delta(PrometheusText before, PrometheusText after, String name, String... labels) {
        double b = before.sum(name, labels);
        double a = after.sum(name, labels);
        return (long) ((Double.isNaN(a) ? 0 : a) - (Double.isNaN(b) ? 0 : b));
    }

    private String nodeCounters(List<PrometheusText> before, List<PrometheusText> after) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < nodes.size(); i++) {
            PrometheusText x = before.get(i);
            PrometheusText y = after.get(i);
            b.append(i == 0 ? "" : "; ")
                    .append(NODE_NAMES.get(i))
                    .append(": ")
                    .append("upgrades ")
                    .append(delta(x, y, "inbox_handshakes_total", "outcome=\"ok\""))
                    .append(", admitted ")
                    .append(delta(x, y, "inbox_messages_routed_total", "source=\"client\""))
                    .append(", relay_unavailable ")
                    .append(delta(x, y, "inbox_errors_sent_total", "code=\"relay_unavailable\""))
                    .append(", deliveries local ")
                    .append(delta(x, y, "inbox_deliveries_total", "path=\"local\""))
                    .append(" relayed ")
                    .append(delta(x, y, "inbox_deliveries_total", "path=\"relayed\""))
                    .append(", envelopes in ")
                    .append(delta(x, y, "inbox_relay_received_total"));
        }
        return b.toString();
    }

    private static String describe(Outage o, long origin) {
        if (!o.happened()) {
            return "no Redis outage";
        }
        StringBuilder b = new StringBuilder(String.format(
                java.util.Locale.ROOT,
                "Redis killed %.2f, gone %.2f, back %.2f",
                seconds(o.killedAt() - origin),
                seconds(o.deadAt() - origin),
                seconds(o.restartedAt() - origin)));
        for (int i = 0; i < NODE_NAMES.size(); i++) {
            long at = o.resubscribedAt(i);
            b.append(", node ")
                    .append(NODE_NAMES.get(i))
                    .append(" resubscribed ")
                    .append(
                            at == Long.MAX_VALUE
                                    ? "never"
                                    : String.format(
                                            java.util.Locale.ROOT,
                                            "%.3f (+%d ms)",
                                            seconds(at - origin),
                                            (at - o.restartedAt()) / 1_000_000));
        }
        return b.toString();
    }

    /** The machine's 1-minute load average: the soak shares its cores with whatever else runs. */
    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    /** The scenario's own schedule (when the outage starts, when traffic stops): not a stand-in for a condition. */
    private static void parkUntil(long nanoTime) {
        for (long left; (left = nanoTime - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
        }
    }

    /** Waits until {@code condition} holds, re-checking every 5 ms; false if {@code bound} passed first. */
    private static boolean awaitCondition(Duration bound, BooleanSupplier condition) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(5_000_000);
        }
        return true;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
