package dev.inbox.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.protocol.Ids;
import dev.inbox.protocol.ServerEvent;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The router on a real event loop, with an {@link Admission} whose outcomes arrive the way Redis's do: on another
 * thread, in admission order, sometimes before the router's loop is back from sending, and with other nodes'
 * messages handed over on the same thread between them.
 */
class ConversationRouterTest {
    private static final long CONVERSATION = 42;
    private static final long ANN = 1;
    private static final long BOB = 2;
    /** On another node. */
    private static final long CY = 3;

    private static final Pattern MESSAGE = Pattern.compile("\"message\":\"([^\"]*)\"");

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    private final EventLoop loop = group.next();

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * Message 7's outcome is learnt on another thread, which queues its delivery on the owner loop; message 8's is
     * known at once, on the loop, before its admission returns. Delivering 8 in place would overtake 7.
     */
    @Test
    void anOutcomeKnownAtOnceNeverOvertakesAnEarlierOneLearntElsewhere() throws Exception {
        BlockingQueue<String> bobReceives = new LinkedBlockingQueue<>();
        Channel bob = connect(BOB, bobReceives);
        AtomicReference<BiConsumer<Admitted, Throwable>> seventh = new AtomicReference<>();
        Admission redisLike = (submitted, event, outcome) -> {
            if (event.frame().toString(StandardCharsets.UTF_8).contains("\"m7\"")) {
                seventh.set(outcome); // not answered yet
            } else {
                // Message 7's answer arrives on Redis's thread, and message 8's is known here.
                onLettuceThread(() ->
                        seventh.get().accept(new Admitted(Ids.MIN_MESSAGE_ID + 7, new long[] {BOB}), null));
                outcome.accept(new Admitted(Ids.MIN_MESSAGE_ID + 8, new long[] {BOB}), null);
            }
        };
        ConversationRouter router = router(redisLike);

        // Both admissions queue behind a paused loop, as messages that arrive together do.
        CountDownLatch resume = new CountDownLatch(1);
        loop.execute(() -> awaitUninterruptibly(resume));
        CompletionStage<?> m7 = router.publish(ANN, "Ann", null, "TEXT", "m7", CONVERSATION);
        CompletionStage<?> m8 = router.publish(ANN, "Ann", null, "TEXT", "m8", CONVERSATION);
        resume.countDown();

        assertEquals("m7", bobReceives.poll(5, TimeUnit.SECONDS), "message 7 first, as its id says");
        assertEquals("m8", bobReceives.poll(5, TimeUnit.SECONDS));
        m7.toCompletableFuture().get(5, TimeUnit.SECONDS);
        m8.toCompletableFuture().get(5, TimeUnit.SECONDS);
        bob.close().sync();
    }

    /**
     * Lettuce decodes message 7's reply and then, on the same connection, another node's message 8, both before the
     * router's loop is back from sending message 7 (the loop was paused longer than the round trip). Message 8 is
     * handed to the loop as it is decoded; message 7's delivery must still come first, as Redis produced them.
     */
    @Test
    void aReplyDecodedBeforeTheRouterLooksIsNotOvertakenByTheRelayedMessageDecodedAfterIt() throws Exception {
        BlockingQueue<String> bobReceives = new LinkedBlockingQueue<>();
        Channel bob = connect(BOB, bobReceives);
        AtomicReference<ConversationRouter> router = new AtomicReference<>();
        Admission redisLike = (submitted, event, outcome) -> onLettuceThread(() -> {
            outcome.accept(new Admitted(Ids.MIN_MESSAGE_ID + 7, new long[] {BOB}), null);
            router.get()
                    .deliverRelayed(
                            CONVERSATION,
                            new long[] {BOB},
                            relayed("m8", Ids.MIN_MESSAGE_ID + 8),
                            System.currentTimeMillis());
        });
        router.set(router(redisLike));

        CompletionStage<?> m7 = router.get().publish(ANN, "Ann", null, "TEXT", "m7", CONVERSATION);

        assertEquals("m7", bobReceives.poll(5, TimeUnit.SECONDS), "message 7 first, as Redis produced them");
        assertEquals("m8", bobReceives.poll(5, TimeUnit.SECONDS));
        m7.toCompletableFuture().get(5, TimeUnit.SECONDS);
        bob.close().sync();
    }

    /**
     * From the moment a relay interruption is detected, a connection open before it may have missed another node's
     * message, so it is given no later one, relayed or local, nor an acknowledgement: its client would remember the
     * later id and skip the missed message when it resumes. A connection covered from the new epoch still gets them.
     */
    @Test
    void aConnectionThatMayHaveMissedARelayedMessageGetsNoLaterOne() throws Exception {
        BlockingQueue<String> before = new LinkedBlockingQueue<>();
        Channel bobBefore = connect(BOB, before);
        BlockingQueue<String> after = new LinkedBlockingQueue<>();
        Channel bobAfter = connect(BOB, after);
        InboxSession[] sessions = groups.sessionsOf(BOB);
        ConversationRouter router = router((submitted, event, outcome) ->
                outcome.accept(new Admitted(Ids.MIN_MESSAGE_ID + 3, new long[] {BOB}), null));
        router.deliverRelayed(
                CONVERSATION, new long[] {BOB}, relayed("m1", Ids.MIN_MESSAGE_ID + 1), System.currentTimeMillis());
        assertEquals("m1", before.poll(5, TimeUnit.SECONDS));
        assertEquals("m1", after.poll(5, TimeUnit.SECONDS));

        groups.relayInterrupted(1);
        loop.submit(() -> sessions[1].relayEpoch(1)).sync(); // joined once the new Redis connection was up
        router.deliverRelayed(
                CONVERSATION, new long[] {BOB}, relayed("m2", Ids.MIN_MESSAGE_ID + 2), System.currentTimeMillis());
        router.publish(ANN, "Ann", null, "TEXT", "m3", CONVERSATION)
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        assertEquals("m2", after.poll(5, TimeUnit.SECONDS));
        assertEquals("m3", after.poll(5, TimeUnit.SECONDS));

        // Were it covered again, the next message is the first it gets: m2 and m3 never went to it.
        loop.submit(() -> sessions[0].relayEpoch(1)).sync();
        router.deliverRelayed(
                CONVERSATION, new long[] {BOB}, relayed("m4", Ids.MIN_MESSAGE_ID + 4), System.currentTimeMillis());
        assertEquals("m4", before.poll(5, TimeUnit.SECONDS));
        assertEquals("m4", after.poll(5, TimeUnit.SECONDS));
        bobBefore.close().sync();
        bobAfter.close().sync();
    }

    /** Runs {@code decoding} on a thread of its own, as Lettuce's I/O thread decodes, and waits until it is done. */
    private static void onLettuceThread(Runnable decoding) {
        Thread lettuce = new Thread(decoding, "lettuce-like");
        lettuce.start();
        try {
            lettuce.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Message {@code text} as another node encoded it, frame bytes as they arrive in its relay envelope. */
    private static ByteBuf relayed(String text, long messageId) {
        return new ServerFrameEncoder()
                .encodeEvent(
                        ByteBufAllocator.DEFAULT,
                        new ServerEvent(
                                "TEXT", text, CONVERSATION, CY, "Cy", null, System.currentTimeMillis(), messageId),
                        null);
    }

    private ConversationRouter router(Admission admission) {
        return new ConversationRouter(
                admission, new EventLoops(group), groups, new ServerFrameEncoder(), ByteBufAllocator.DEFAULT, metrics);
    }

    private final UserGroups groups = new UserGroups();
    private final GatewayMetrics metrics = new GatewayMetrics();

    /** A connection of {@code userId} on the loop; the text of every frame its peer receives goes to {@code into}. */
    private Channel connect(long userId, BlockingQueue<String> into) throws InterruptedException {
        BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
        Channel server = new ServerBootstrap()
                .group(loop)
                .channel(LocalServerChannel.class)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted.add(ch);
                    }
                })
                .bind(LocalAddress.ANY)
                .sync()
                .channel();
        Channel peer = new Bootstrap()
                .group(loop)
                .channel(LocalChannel.class)
                .handler(new SimpleChannelInboundHandler<ByteBuf>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frames) {
                        // Server frames, unmasked and unfragmented; one read may hold several.
                        while (frames.isReadable()) {
                            int len7 = frames.getByte(frames.readerIndex() + 1) & 0x7F;
                            int header = len7 < 126 ? 2 : len7 == 126 ? 4 : 10;
                            long length = len7 < 126
                                    ? len7
                                    : len7 == 126
                                            ? frames.getUnsignedShort(frames.readerIndex() + 2)
                                            : frames.getLong(frames.readerIndex() + 2);
                            frames.skipBytes(header);
                            Matcher m = MESSAGE.matcher(frames.readCharSequence((int) length, StandardCharsets.UTF_8));
                            into.add(m.find() ? m.group(1) : "(no message)");
                        }
                    }
                })
                .connect(server.localAddress())
                .sync()
                .channel();
        Channel gatewayEnd = accepted.poll(5, TimeUnit.SECONDS);
        assertNotNull(gatewayEnd);
        InboxSession session = new InboxSession(
                gatewayEnd,
                new AuthenticatedUser(userId, "user", null, Long.MAX_VALUE),
                0,
                new ServerFrameEncoder(),
                metrics);
        loop.submit(() -> groups.join(session)).sync();
        gatewayEnd.closeFuture().addListener(f -> groups.leave(session));
        server.close();
        assertTrue(groups.isPresent(userId));
        return peer;
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            assertTrue(latch.await(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
