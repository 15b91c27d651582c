package dev.inbox.benchmarks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.routing.ClockMessageIds;
import dev.inbox.gateway.routing.ConversationRouter;
import dev.inbox.gateway.routing.EventLoops;
import dev.inbox.gateway.routing.InMemoryMembership;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.routing.LocalAdmission;
import dev.inbox.gateway.routing.UserGroups;
import dev.inbox.protocol.Ids;
import dev.inbox.protocol.ServerEvent;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.concurrent.CompletableFuture;
import java.util.stream.LongStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of delivering one event to every connection of {@code recipients} users, {@code connectionsPerUser}
 * each, through the gateway's real {@link ConversationRouter} (admission, id, encode once, {@code Fanout} batched per
 * event loop) into real Netty channels, against two baselines run on the same connections in the same JVM:
 * <ul>
 *   <li>{@link #gateway}: {@code router.publish(...)}, as the admin API calls it;</li>
 *   <li>{@link #naiveJackson}: per connection, Jackson databind to a {@code String} and
 *       {@code writeAndFlush(new TextWebSocketFrame(json))};</li>
 *   <li>{@link #channelGroup}: the event serialised once, then Netty's
 *       {@code DefaultChannelGroup.writeAndFlush(new TextWebSocketFrame(...))}.</li>
 * </ul>
 * One operation is {@code burst} events to all {@code recipients * connectionsPerUser} connections, and ends when
 * every connection has received every frame ({@link ByteTally}): {@link ResultsTable} divides the score by
 * {@code burst * connections} for the per-delivery figure (JMH's {@code @OperationsPerInvocation} cannot follow a
 * {@code @Param}).
 *
 * <p>Set-up as the gateway's: two event loops of the sink's transport (one per core, the gateway's default, on the
 * reference machine), each connection's pipeline and session as after the upgrade ({@link Upgrade}). User ids are
 * large, as real ones are, so no lookup is flattered by the {@code Long} cache. The baselines run on an event loop
 * too, as a naive gateway's handler would, and skip admission:
 * they are handed the member list.
 */
@State(Scope.Benchmark)
public class FanoutBenchmark extends AbstractMicrobenchmark {
    static final long CONVERSATION = 4_200_000_017L;
    static final long FIRST_USER = 7_000_000_001L;
    static final String SENDER_NAME = "Ada Lovelace";
    static final String SENDER_AVATAR = "https://avatars.example.com/u/7000000001.png";
    static final String MESSAGE = "Are we still on for the design review at three? I moved it to the big room.";
    static final int EVENT_LOOPS = 2;

    @Param({"1", "10", "100", "1000", "10000"})
    public int recipients;

    @Param({"1", "3"})
    public int connectionsPerUser;

    @Param({"discard", "loopback"})
    public String sink;

    /**
     * Events published back to back in one operation, which ends when all have reached every connection. With 1,
     * each operation starts on idle event loops and pays three thread wake-ups (benchmark thread to the routing
     * loop, to the other loop, back), tens of microseconds on this machine whatever N is; with 16 the loops stay
     * busy through the operation, as under load, so the score divided by {@code burst * connections} is the cost
     * of one delivery. Every method gets the same burst.
     */
    @Param({"16"})
    public int burst;

    /**
     * The router's allocator for the shared frame: {@code pooled} is {@code PooledByteBufAllocator.DEFAULT}, what
     * {@code InboxServer} passes, whose buffers hand out recycled duplicates; {@code default} is
     * {@code ByteBufAllocator.DEFAULT} (Netty 4.2's adaptive allocator), whose duplicates are new objects. The
     * baselines ignore it.
     */
    @Param({"pooled"})
    public String allocator;

    /**
     * {@code on}: the gateway's meters, as in production; {@code off}: {@code GatewayMetrics.disabled()}, the same
     * calls into no-op meters, so the difference is the price of recording on the hot path.
     */
    @Param({"on"})
    public String metrics;

    private Sink connections;
    private ByteTally tally;
    private ConversationRouter router;
    private UserGroups groups;
    private long[] members;
    private ChannelGroup room;
    private EventLoop baselineLoop;
    private final ObjectMapper mapper = JsonEvent.mapper();
    private long baselineMessageId = Ids.MIN_MESSAGE_ID;
    /** Frame lengths: every event's is the same (fixed-width ids and timestamp), so the sink can count bytes. */
    private int gatewayFrameBytes;

    private int jacksonFrameBytes;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        connections = Sink.create(sink, EVENT_LOOPS, recipients * connectionsPerUser);
        try {
            tally = connections.tally();
            EventLoops loops = new EventLoops(connections.gatewayLoops());
            GatewayMetrics metrics = meters(this.metrics);
            ServerFrameEncoder encoder = new ServerFrameEncoder();
            InMemoryMembership membership = new InMemoryMembership();
            members = LongStream.range(0, recipients).map(i -> FIRST_USER + i).toArray();
            membership.replace(CONVERSATION, members);
            groups = new UserGroups();
            router = new ConversationRouter(
                    new LocalAdmission(membership, new ClockMessageIds(), false),
                    loops,
                    groups,
                    encoder,
                    allocator(allocator),
                    metrics);
            room = new DefaultChannelGroup("conversation-" + CONVERSATION, GlobalEventExecutor.INSTANCE);
            for (long userId : members) {
                for (int c = 0; c < connectionsPerUser; c++) {
                    Channel ch = connections.open();
                    ch.eventLoop()
                            .submit(() -> Upgrade.upgrade(ch, userId, loops, encoder, metrics, groups))
                            .sync();
                    room.add(ch);
                }
            }
            baselineLoop = connections.gatewayLoops().next();
            ServerEvent sample = event(Ids.MIN_MESSAGE_ID);
            ByteBuf frame = encoder.encodeEvent(ByteBufAllocator.DEFAULT, sample, null);
            gatewayFrameBytes = frame.readableBytes();
            frame.release();
            int json = mapper.writeValueAsBytes(JsonEvent.of(sample)).length;
            jacksonFrameBytes = json + (json < 126 ? 2 : json < 65_536 ? 4 : 10);
        } catch (Exception | Error e) {
            connections.close();
            throw e;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        try {
            tally.assertSettled();
        } finally {
            connections.close();
        }
    }

    /** The gateway path: admission, message id, one encode, fan-out per event loop. */
    @Benchmark
    public void gateway() {
        tally.expect((long) gatewayFrameBytes * burst);
        CompletableFuture<?>[] events = new CompletableFuture<?>[burst];
        for (int i = 0; i < burst; i++) {
            events[i] = router.publish(FIRST_USER, SENDER_NAME, SENDER_AVATAR, "TEXT", MESSAGE, CONVERSATION)
                    .toCompletableFuture();
        }
        tally.await(events);
    }

    /** Baseline: serialise per connection with Jackson databind and write a new {@code TextWebSocketFrame}. */
    @Benchmark
    public void naiveJackson() {
        baseline(event -> {
            for (long userId : members) {
                for (InboxSession s : groups.sessionsOf(userId)) {
                    s.channel().writeAndFlush(new TextWebSocketFrame(mapper.writeValueAsString(event)));
                }
            }
        });
    }

    /** Baseline: serialise once, then Netty's {@code ChannelGroup} writes a duplicate of the frame to each channel. */
    @Benchmark
    public void channelGroup() {
        baseline(event -> {
            byte[] json = mapper.writeValueAsBytes(event);
            room.writeAndFlush(new TextWebSocketFrame(
                    ByteBufAllocator.DEFAULT.buffer(json.length).writeBytes(json)));
        });
    }

    /** What a baseline does with one event, on an event loop as a naive gateway's handler would. */
    @FunctionalInterface
    private interface BaselineWrite {
        void write(JsonEvent event) throws JsonProcessingException;
    }

    /** Runs {@code burst} events through {@code write} on the baseline loop and waits until every peer has them. */
    private void baseline(BaselineWrite write) {
        tally.expect((long) jacksonFrameBytes * burst);
        CompletableFuture<Void> failure = new CompletableFuture<>();
        for (int i = 0; i < burst; i++) {
            JsonEvent event = JsonEvent.of(event(baselineMessageId++));
            baselineLoop.execute(() -> {
                try {
                    write.write(event);
                } catch (JsonProcessingException | RuntimeException e) {
                    failure.completeExceptionally(e);
                }
            });
        }
        tally.await(failure);
    }

    private static GatewayMetrics meters(String mode) {
        return switch (mode) {
            case "on" -> new GatewayMetrics();
            case "off" -> GatewayMetrics.disabled();
            default -> throw new IllegalArgumentException("metrics: " + mode + " (expected: on or off)");
        };
    }

    private static ByteBufAllocator allocator(String name) {
        return switch (name) {
            case "default" -> ByteBufAllocator.DEFAULT;
            case "pooled" -> PooledByteBufAllocator.DEFAULT;
            default -> throw new IllegalArgumentException("allocator: " + name + " (expected: default or pooled)");
        };
    }

    private static ServerEvent event(long messageId) {
        return new ServerEvent(
                "TEXT",
                MESSAGE,
                CONVERSATION,
                FIRST_USER,
                SENDER_NAME,
                SENDER_AVATAR,
                System.currentTimeMillis(),
                messageId);
    }
}
