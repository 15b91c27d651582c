package dev.inbox.gateway.inbox;

import dev.inbox.gateway.logging.ThrottledLog;
import dev.inbox.gateway.metrics.FrameKind;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.protocol.CloseCode;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.CharsetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.PromiseCombiner;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket side of one upgraded connection, between Netty's frame decoder and its {@link InboxEndpoint}. One
 * handler rather than five, since every handler costs each connection a pipeline context (memory per idle
 * connection is a published figure); each of its jobs keeps to its own methods:
 * <ul>
 *   <li>control frames: pings answered (not while over the outbound bound), pongs dropped, a close echoed (RFC 6455
 *       §5.5.1); every protocol violation the decoder reports closes with its §7.4.1 code (1002, 1007, 1009), once;
 *   <li>messages: text checked to be UTF-8, across fragments too (else 1007); fragments reassembled up to the
 *       largest message (else 1009), with state only while a fragmented message is open; complete messages go to
 *       the {@link InboxEndpoint}, called here rather than as a handler of its own (a context less per connection),
 *       and once the connection is closing nothing does; its failure closes with 1011;
 *   <li>keepalive: the last read is noted for {@link Keepalive}'s per-loop sweep (pings, 4000, 4501);
 *   <li>the outbound bound: while over it the connection is not read, and past the grace it is closed (1013), so
 *       whatever a client makes the node write stops with its reading ({@link InboxSession#closeSlow}).
 * </ul>
 */
public final class ConnectionHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);
    private static final ThrottledLog unexpected = new ThrottledLog(log, "unexpected error; closing with 1011");

    /**
     * Components a reassembled message keeps before they are merged into one buffer, as Netty's own aggregator does:
     * a message in many small fragments costs its bytes, not an object per fragment.
     */
    static final int MAX_FRAGMENT_COMPONENTS = 1024;

    /** {@link #expiresAtNanos} of a token that never expires. */
    static final long NEVER = Long.MAX_VALUE;

    /** Shared by every connection of the node: a field each would cost every idle connection. */
    private final Policy policy;
    /**
     * The connection's session, or null on a test's bare channel. Held here, not in a channel attribute, which would
     * cost every connection 24 bytes (issue 18); this field fits in the object's padding.
     */
    private final InboxSession session;

    // Keepalive, read by this loop's sweep.
    ChannelHandlerContext ctx;
    long lastReadNanos;
    long lastPingNanos;
    long expiresAtNanos = NEVER;
    ConnectionHandler prevWatched;
    ConnectionHandler nextWatched;

    /**
     * Whether this handler encodes the WebSocket frames written to it, Netty's frame encoder gone: from the moment the
     * 101 is written (see {@link #userEventTriggered}). Event loop only.
     */
    private boolean encodesFrames;

    /** The running grace timer while over the outbound bound, else null. */
    private ScheduledFuture<?> slowTimer;
    /** The fragmented message being reassembled, else null. */
    private CompositeByteBuf fragments;
    /** Its UTF-8 state (text), or -1 (binary). */
    private int fragmentsUtf8;

    /**
     * What every connection of a node shares.
     *
     * @param maxMessageBytes largest reassembled message ({@code --max-frame-bytes})
     * @param slowGraceNanos  how long a connection may stay over its outbound bound ({@code --slow-consumer-grace})
     * @param endpoint        where complete messages go
     */
    public record Policy(Keepalive keepalive, int maxMessageBytes, long slowGraceNanos, InboxEndpoint endpoint) {
        public Policy(Keepalive keepalive, int maxMessageBytes, Duration slowGrace, InboxEndpoint endpoint) {
            this(keepalive, maxMessageBytes, slowGrace.toNanos(), endpoint);
        }
    }

    public ConnectionHandler(Policy policy, InboxSession session) {
        this.policy = policy;
        this.session = session;
    }

    /** A connection with a policy of its own: tests. A node shares one {@link Policy} between its connections. */
    public ConnectionHandler(
            Keepalive keepalive,
            int maxMessageBytes,
            Duration slowGrace,
            InboxEndpoint endpoint,
            InboxSession session) {
        this(new Policy(keepalive, maxMessageBytes, slowGrace, endpoint), session);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        long now = ctx.executor().ticker().nanoTime();
        lastReadNanos = now;
        lastPingNanos = now;
        long expiresAtMillis = session == null ? Long.MAX_VALUE : session.user().expiresAtMillis();
        if (expiresAtMillis != Long.MAX_VALUE) {
            long untilExpiry = Math.max(0, expiresAtMillis - System.currentTimeMillis());
            expiresAtNanos = now + TimeUnit.MILLISECONDS.toNanos(untilExpiry);
        }
        policy.keepalive().watch(this, ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        ended(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ended(ctx);
        if (session != null) {
            policy.endpoint().closed(session);
        }
        ctx.fireChannelInactive();
    }

    private void ended(ChannelHandlerContext ctx) {
        policy.keepalive().forget(this, ctx);
        cancelSlowTimer();
        dropFragments();
    }

    // ---- reading ----------------------------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastReadNanos = ctx.executor().ticker().nanoTime();
        if (session == null || session.isClosing()) {
            // After a close frame nothing more is processed (RFC 6455 §5.5.1), but the client's own close frame
            // completes a handshake this side started.
            if (session != null && msg instanceof CloseWebSocketFrame) {
                session.closeReceived(-1);
            }
            ReferenceCountUtil.release(msg);
            dropFragments();
            return;
        }
        session.countIn();
        if (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame) {
            message(ctx, session, (WebSocketFrame) msg);
        } else if (msg instanceof ContinuationWebSocketFrame continuation) {
            continuation(ctx, session, continuation);
        } else {
            try {
                control(ctx, session, msg);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    /** A text or binary frame: a whole message, or the first fragment of one. */
    private void message(ChannelHandlerContext ctx, InboxSession session, WebSocketFrame frame) {
        boolean text = frame instanceof TextWebSocketFrame;
        session.metrics().frameReceived(text ? FrameKind.TEXT : FrameKind.BINARY);
        if (frame.isFinalFragment()) {
            if (text && !ByteBufUtil.isText(frame.content(), CharsetUtil.UTF_8)) {
                frame.release();
                invalidUtf8(ctx, session);
                return;
            }
            deliver(ctx, session, frame);
            return;
        }
        // The decoder refuses a new message while one is open, so none is here.
        int utf8 = text ? Utf8Validation.update(Utf8Validation.ACCEPT, frame.content()) : -1;
        if (utf8 == Utf8Validation.REJECT) {
            frame.release();
            invalidUtf8(ctx, session);
            return;
        }
        fragments = ctx.alloc().compositeBuffer(MAX_FRAGMENT_COMPONENTS);
        fragmentsUtf8 = utf8;
        fragments.addComponent(true, frame.content()); // takes the frame's reference
    }

    private void continuation(ChannelHandlerContext ctx, InboxSession session, ContinuationWebSocketFrame frame) {
        CompositeByteBuf open = fragments;
        if (open == null) { // the decoder refuses a continuation outside a message; a test's bare channel may not
            frame.release();
            session.fail(CloseCode.PROTOCOL_ERROR.code(), "continuation frame outside a fragmented message");
            return;
        }
        if (open.readableBytes() + frame.content().readableBytes() > policy.maxMessageBytes()) {
            frame.release();
            dropFragments();
            if (!session.fail(CloseCode.MESSAGE_TOO_BIG.code(), CloseCode.MESSAGE_TOO_BIG.reason())) {
                ctx.close();
            }
            return;
        }
        if (fragmentsUtf8 != -1) {
            fragmentsUtf8 = Utf8Validation.update(fragmentsUtf8, frame.content());
            if (fragmentsUtf8 == Utf8Validation.REJECT
                    || (frame.isFinalFragment() && fragmentsUtf8 != Utf8Validation.ACCEPT)) {
                frame.release();
                dropFragments();
                invalidUtf8(ctx, session);
                return;
            }
        }
        if (frame.content().isReadable()) {
            open.addComponent(true, frame.content());
        } else {
            frame.release(); // an empty fragment adds nothing, and must not add a component per frame either
        }
        if (!frame.isFinalFragment()) {
            return;
        }
        fragments = null;
        deliver(
                ctx,
                session,
                fragmentsUtf8 != -1 ? new TextWebSocketFrame(true, 0, open) : new BinaryWebSocketFrame(true, 0, open));
    }

    /** A complete message, to the endpoint (which releases it). */
    private void deliver(ChannelHandlerContext ctx, InboxSession session, WebSocketFrame message) {
        try {
            policy.endpoint().message(session, message);
        } catch (RuntimeException e) {
            unexpected.warn(ctx.channel(), e);
            session.close(CloseCode.SERVER_ERROR);
        }
    }

    private void control(ChannelHandlerContext ctx, InboxSession session, Object msg) {
        if (msg instanceof PingWebSocketFrame ping) {
            session.metrics().frameReceived(FrameKind.PING);
            if (ctx.channel().isWritable()) {
                writeControl(new PongWebSocketFrame(ping.content().retain()));
            }
            // Else over the outbound bound, and reading stops: the pong is not owed yet, since an endpoint may
            // answer only the latest of several pings (RFC 6455 §5.5.3).
        } else if (msg instanceof CloseWebSocketFrame close) {
            session.metrics().frameReceived(FrameKind.CLOSE);
            session.closeReceived(close.statusCode());
        } else if (msg instanceof PongWebSocketFrame) {
            session.metrics().frameReceived(FrameKind.PONG); // its read has been noted for the keepalive
        }
    }

    private static void invalidUtf8(ChannelHandlerContext ctx, InboxSession session) {
        if (!session.fail(CloseCode.INVALID_PAYLOAD.code(), "invalid UTF-8 in a text message")) {
            ctx.close();
        }
    }

    private void dropFragments() {
        if (fragments != null) {
            fragments.release();
            fragments = null;
        }
    }

    // ---- the outbound bound -----------------------------------------------------------------------------------

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(false);
            if (slowTimer == null) {
                slowTimer = ctx.executor()
                        .schedule(() -> slowGraceOver(ctx), policy.slowGraceNanos(), TimeUnit.NANOSECONDS);
            }
        } else {
            cancelSlowTimer();
            if (session == null || !(session.isClosing() || session.admissionsFull())) {
                ctx.channel().config().setAutoRead(true);
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void slowGraceOver(ChannelHandlerContext ctx) {
        slowTimer = null;
        if (session != null && ctx.channel().isActive() && !ctx.channel().isWritable()) {
            session.closeSlow();
        }
    }

    private void cancelSlowTimer() {
        if (slowTimer != null) {
            slowTimer.cancel(false);
            slowTimer = null;
        }
    }

    // ---- writing frames ---------------------------------------------------------------------------------------

    /**
     * Netty's frame encoder, used as a function rather than as a handler: its pipeline context cost every connection
     * 88 bytes with the encoder (issue 18). Only its {@code encode} is called, which keeps no state between frames
     * (a server does not mask), so every connection shares it.
     */
    private static final class FrameEncoding extends WebSocket13FrameEncoder {
        FrameEncoding() {
            super(false);
        }

        void encodeFrame(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) throws Exception {
            encode(ctx, frame, out);
        }
    }

    private static final FrameEncoding FRAMES = new FrameEncoding();

    /**
     * The 101 is written and the HTTP codec gone: this handler takes over encoding from Netty's frame encoder, which
     * leaves the pipeline, and the session's encoded frames enter just below this handler. Until then, the frame
     * encoder sits in front of the HTTP codec, so frames queued while the 101 was being written still go out after it.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete
                && ctx.pipeline().get(InboxSession.FRAME_ENCODER) != null) {
            ctx.pipeline().remove(InboxSession.FRAME_ENCODER);
            encodesFrames = true;
            if (session != null) {
                session.writeFramesFrom(ctx);
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (encodesFrames && msg instanceof WebSocketFrame frame) {
            writeEncoded(ctx, frame, promise);
        } else {
            ctx.write(msg, promise);
        }
    }

    /** A ping or pong of this handler's own, written and flushed. */
    void writeControl(WebSocketFrame frame) {
        if (encodesFrames) {
            try {
                writeEncoded(ctx, frame, ctx.voidPromise());
            } catch (Exception e) {
                ctx.fireExceptionCaught(e);
                return;
            }
        } else {
            ctx.write(frame, ctx.voidPromise());
        }
        ctx.flush();
    }

    /** As Netty's {@code MessageToMessageEncoder} writes what its encoder made: one promise for the whole frame. */
    private static void writeEncoded(ChannelHandlerContext ctx, WebSocketFrame frame, ChannelPromise promise)
            throws Exception {
        List<Object> out = new ArrayList<>(2);
        try {
            FRAMES.encodeFrame(ctx, frame, out);
        } catch (Exception e) {
            out.forEach(ReferenceCountUtil::release);
            throw e;
        } finally {
            frame.release();
        }
        if (out.size() == 1) {
            ctx.write(out.get(0), promise);
        } else if (promise.isVoid()) {
            for (Object o : out) {
                ctx.write(o, promise);
            }
        } else {
            PromiseCombiner combiner = new PromiseCombiner(ctx.executor());
            for (Object o : out) {
                combiner.add(ctx.write(o));
            }
            combiner.finish(promise);
        }
    }

    // ---- keepalive verdicts, from the sweep --------------------------------------------------------------------

    void idle() {
        close(CloseCode.IDLE_TIMEOUT);
    }

    void tokenExpired() {
        close(CloseCode.TOKEN_EXPIRED);
    }

    private void close(CloseCode code) {
        if (session != null) {
            session.close(code);
        } else {
            ctx.close();
        }
    }

    // ---- failures ---------------------------------------------------------------------------------------------

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException c) {
            // A protocol violation found by the frame decoder: answer with the code RFC 6455 §7.4.1 prescribes
            // (1002, 1007, 1009) and close. The decoder is configured not to answer itself: it would close without
            // any close frame after a malformed close frame.
            dropFragments();
            if (session == null
                    || !session.fail(c.closeStatus().code(), c.closeStatus().reasonText())) {
                ctx.close();
            }
            log.debug("protocol violation on {}: {}", ctx.channel(), cause.getMessage());
            return;
        }
        if (!ctx.channel().isActive()
                || (session != null && session.isClosing() && !(cause instanceof TooLongFrameException))) {
            // Already closing: a write to a closed socket.
            log.debug("error on closing {}: {}", ctx.channel(), cause.toString());
            return;
        }
        if (cause instanceof TooLongFrameException) {
            if (session == null
                    || !session.fail(CloseCode.MESSAGE_TOO_BIG.code(), CloseCode.MESSAGE_TOO_BIG.reason())) {
                ctx.close();
            }
        } else if (cause instanceof CorruptedFrameException) {
            // A codec that answers by itself has already sent 1002/1007/1009 and is closing.
            if (session != null) {
                session.markClosing();
            }
            log.debug("protocol violation on {}: {}", ctx.channel(), cause.getMessage());
        } else if (cause instanceof IOException) {
            log.debug("I/O error on {}: {}", ctx.channel(), cause.getMessage());
            ctx.close();
        } else {
            unexpected.warn(ctx.channel(), cause);
            if (session != null) {
                session.close(CloseCode.SERVER_ERROR);
            } else {
                ctx.close();
            }
        }
    }
}
