package dev.inbox.gateway.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The outbound bound ({@link ConnectionHandler}) holds for whatever the client makes the node write, not only for deliveries. */
class OutboundBoundTest {
    /** High water mark: the channel turns unwritable past this many queued bytes. */
    private static final int BOUND = 16;

    private static final Duration GRACE = Duration.ofSeconds(5);

    private EmbeddedChannel ch;
    private InboxSession session;

    @BeforeEach
    void connect() {
        ch = new EmbeddedChannel();
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(BOUND / 2, BOUND));
        session = new InboxSession(
                ch,
                new AuthenticatedUser(1, "Ann", "", Long.MAX_VALUE),
                0,
                new ServerFrameEncoder(),
                new GatewayMetrics());
        ch.pipeline()
                .addLast(new ConnectionHandler(
                        new Keepalive(Duration.ofHours(1), Duration.ofHours(2)),
                        65_536,
                        GRACE,
                        PassOnEndpoint.INSTANCE,
                        session));
    }

    @AfterEach
    void nothingIsLeftOver() {
        for (Object o; (o = ch.readOutbound()) != null; ) {
            io.netty.util.ReferenceCountUtil.release(o);
        }
        assertFalse(ch.finish(), "no unread inbound or outbound messages");
    }

    @Test
    void readingStopsWhileOverTheBoundAndResumesBelowIt() {
        ch.write(Unpooled.buffer(BOUND * 2).writerIndex(BOUND * 2));
        assertFalse(ch.isWritable());
        assertFalse(ch.config().isAutoRead(), "a connection over its bound is not read");

        ch.flush();
        assertTrue(ch.isWritable());
        assertTrue(ch.config().isAutoRead(), "read again once the queue has drained");
    }

    @Test
    void pingOverTheBoundIsNotAnswered() {
        ByteBuf queued = Unpooled.buffer(BOUND * 2).writerIndex(BOUND * 2);
        ch.write(queued);
        ch.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[125])));
        ch.flush();
        assertEquals(queued, ch.readOutbound());
        queued.release();
        assertNull(ch.readOutbound(), "no pong queued behind a connection over its bound");
        assertTrue(ch.isActive());
    }

    @Test
    void errorPastTheHardCapClosesWith1013InsteadOfQueueing() {
        int pastTheCap = InboxSession.HARD_CAP_FACTOR * BOUND + BOUND;
        ByteBuf queued = Unpooled.buffer(pastTheCap).writerIndex(pastTheCap);
        ch.write(queued);
        session.sendError(ErrorCode.BAD_JSON, "bad", 0, null);
        ch.runPendingTasks();

        assertFalse(ch.isActive(), "closed at once at the hard cap");
        assertEquals(queued, ch.readOutbound());
        queued.release();
        CloseWebSocketFrame close = assertInstanceOf(CloseWebSocketFrame.class, ch.readOutbound(), "no ERROR frame");
        assertEquals(1013, close.statusCode());
        close.release();
        assertEquals(1013, session.closeCode());
    }

    @Test
    void overTheBoundPastTheGraceEndsWith1013() {
        ch.write(Unpooled.buffer(BOUND * 2).writerIndex(BOUND * 2));
        ch.advanceTimeBy(GRACE.toNanos() + 1, TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();

        assertTrue(ch.config().isAutoRead(), "reading on for the client's answer once the close frame is out");
        ch.writeInbound(new CloseWebSocketFrame(1013, ""));
        assertFalse(ch.isActive());
        ByteBuf queued = assertInstanceOf(ByteBuf.class, ch.readOutbound());
        queued.release();
        CloseWebSocketFrame close = assertInstanceOf(CloseWebSocketFrame.class, ch.readOutbound());
        assertEquals(1013, close.statusCode());
        close.release();
    }
}
