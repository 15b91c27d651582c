package dev.inbox.benchmarks;

import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.config.RedisTarget;
import dev.inbox.gateway.health.Readiness;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.relay.RedisRelay;
import dev.inbox.gateway.routing.ConversationRouter;
import dev.inbox.gateway.routing.EventLoops;
import dev.inbox.gateway.routing.UserGroups;
import dev.inbox.protocol.Ids;
import dev.inbox.protocol.ServerEvent;
import dev.inbox.protocol.ServerFrameEncoder;
import dev.inbox.testkit.RedisServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cross-node publish path with a real Redis on loopback: one event from a user on node A to {@code recipients}
 * users connected to node B, through A's router and Redis admission (the script checks membership, numbers the
 * message and {@code PUBLISH}es the envelope to each member's channel), B's subscriptions and receiver, and B's
 * fan-out into real channels ({@code discard} sink). An operation ends when every connection on B has the frame;
 * divided by {@code recipients} it is the relay's cost per recipient, all of it on one machine: A, B and Redis.
 *
 * <p>Both nodes are real {@link RedisRelay}s with their own Redis connections, in this JVM and sharing the sink's
 * event loops; Redis is a {@code redis-server} of the benchmark's own ({@link RedisServer} of the test kit, nothing persisted).
 */
@State(Scope.Benchmark)
public class RelayBenchmark extends AbstractMicrobenchmark {
    private static final long SENDER = FanoutBenchmark.FIRST_USER - 1;

    @Param({"1", "10", "100", "1000"})
    public int recipients;

    private RedisServer redis;
    private Sink connections;
    private ByteTally tally;
    private RedisRelay nodeA;
    private RedisRelay nodeB;
    private ConversationRouter routerA;
    private int frameBytes;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        redis = RedisServer.start("--appendonly", "no"); // the last value of an option wins
        connections = Sink.create("discard", FanoutBenchmark.EVENT_LOOPS, recipients);
        try {
            tally = connections.tally();
            EventLoops loops = new EventLoops(connections.gatewayLoops());
            ServerFrameEncoder encoder = new ServerFrameEncoder();
            GatewayConfig.Redis config = new GatewayConfig.Redis(
                    RedisTarget.parse(redis.uri(), Duration.ofSeconds(5)),
                    Duration.ofSeconds(5),
                    Duration.ofSeconds(10),
                    10_000,
                    Duration.ZERO, // measures the relay's cost, not the node's shedding
                    Duration.ofSeconds(5),
                    // The outbox as a node has it by default: it is on the admission's path.
                    new GatewayConfig.Outbox(true, 16, 100_000, Duration.ofHours(24), true, Duration.ofSeconds(10)));

            UserGroups groupsB = new UserGroups();
            GatewayMetrics metricsB = new GatewayMetrics();
            Readiness readyB = new Readiness();
            readyB.ready(); // the server's part; the relay's part clears once Redis answers
            nodeB = new RedisRelay(config, groupsB, readyB, false, metricsB);
            nodeB.start(new ConversationRouter(
                    nodeB.admission(), loops, groupsB, encoder, PooledByteBufAllocator.DEFAULT, metricsB));
            // Ready first: a node closes (4002) connections that joined before its user channels could be subscribed.
            awaitReady(readyB);
            long[] members = LongStream.range(0, recipients)
                    .map(i -> FanoutBenchmark.FIRST_USER + i)
                    .toArray();
            for (long userId : members) {
                Channel ch = connections.open();
                ch.eventLoop()
                        .submit(() -> Upgrade.upgrade(ch, userId, loops, encoder, metricsB, groupsB))
                        .sync();
            }

            UserGroups groupsA = new UserGroups();
            GatewayMetrics metricsA = new GatewayMetrics();
            Readiness readyA = new Readiness();
            readyA.ready();
            nodeA = new RedisRelay(config, groupsA, readyA, false, metricsA);
            routerA = new ConversationRouter(
                    nodeA.admission(), loops, groupsA, encoder, PooledByteBufAllocator.DEFAULT, metricsA);
            nodeA.start(routerA);
            awaitReady(readyA);
            awaitReady(readyB);
            long[] all = LongStream.concat(LongStream.of(SENDER), LongStream.of(members))
                    .toArray();
            nodeA.membership()
                    .replace(FanoutBenchmark.CONVERSATION, all)
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            awaitSubscriptions();

            ByteBuf sample = encoder.encodeEvent(
                    PooledByteBufAllocator.DEFAULT,
                    new ServerEvent(
                            "TEXT",
                            FanoutBenchmark.MESSAGE,
                            FanoutBenchmark.CONVERSATION,
                            SENDER,
                            FanoutBenchmark.SENDER_NAME,
                            FanoutBenchmark.SENDER_AVATAR,
                            System.currentTimeMillis(),
                            Ids.MIN_MESSAGE_ID),
                    null);
            frameBytes = sample.readableBytes();
            sample.release();
        } catch (Exception | Error e) {
            tearDown();
            throw e;
        }
    }

    /** A node connects to Redis in the background; it is ready once connected. */
    private static void awaitReady(Readiness node) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (node.notReadyReason() != null) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("node not ready: " + node.notReadyReason());
            }
            Thread.sleep(10); // readiness has no listener to wait on
        }
    }

    /** Node B subscribes in the background as its users join; the benchmark starts once Redis has all of them. */
    private void awaitSubscriptions() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String expected = ":" + recipients;
        // Each user node B has is in its own set of nodes ({inbox:u:N}:nodes); node A's users are nowhere yet.
        while (!redis.command("EVAL \"return #redis.call('KEYS', '{inbox:u:*}:nodes')\" 0")
                .equals(expected)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("node B registered fewer than " + recipients + " users");
            }
            Thread.sleep(10); // the subscriptions are another process's state: nothing to wait on but polling
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        try {
            if (tally != null) {
                tally.assertSettled();
            }
        } finally {
            if (connections != null) {
                connections.close(); // first: the users leave while their node can still unsubscribe
            }
            if (nodeA != null) {
                nodeA.close();
            }
            if (nodeB != null) {
                nodeB.close();
            }
            redis.close();
        }
    }

    /** One event from node A to every connection on node B, through Redis. */
    @Benchmark
    public void relayed() {
        tally.expect(frameBytes);
        tally.await(routerA.publish(
                        SENDER,
                        FanoutBenchmark.SENDER_NAME,
                        FanoutBenchmark.SENDER_AVATAR,
                        "TEXT",
                        FanoutBenchmark.MESSAGE,
                        FanoutBenchmark.CONVERSATION)
                .toCompletableFuture());
    }
}
