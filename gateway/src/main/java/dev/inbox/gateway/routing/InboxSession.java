package dev.inbox.gateway.routing;

import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.gateway.inbox.TokenBucket;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.protocol.CloseCode;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One authenticated WebSocket connection: who it belongs to and which event loop serves it. Created when the
 * handshake succeeds, stored under {@link #KEY}, kept small: everything else about a connection lives in its
 * handlers.
 *
 * <p>Every method may be called from any thread; writes from another thread are queued to the channel's loop.
 */
public final class InboxSession {
    public static final AttributeKey<InboxSession> KEY = AttributeKey.valueOf("inbox.session");
    /** The hard cap on a connection's queue, as a multiple of its high water mark (see {@link #overHardCap}). */
    public static final int HARD_CAP_FACTOR = 4;
    /** How long a slow connection's 1013 close frame may take to reach the client before the socket is closed. */
    static final Duration CLOSE_FRAME_WAIT = Duration.ofSeconds(2);
    /** The name Netty's handshaker gives the WebSocket frame encoder it adds to the pipeline. */
    public static final String FRAME_ENCODER = "wsencoder";

    private final Channel channel;
    private final AuthenticatedUser user;
    private final int loopIndex;
    private final ServerFrameEncoder encoder;
    private final GatewayMetrics metrics;
    /** Set once on the first close; read and written on the channel's event loop only. */
    private boolean closing;
    /** This connection's message rate limiter, made on its first message; event loop only. */
    private TokenBucket messages;
    /** Messages refused in a row by the rate limit; event loop only. */
    private int refusedInRow;
    /** For the access log: frames received and written, and the close code sent or received; event loop only. */
    private int framesIn;
    private int framesOut;
    private int closeCode = -1;
    private final long openedAtNanos = System.nanoTime();
    /** Written to since its loop's last {@link LoopFlusher} run, so already on its list; event loop only. */
    boolean flushPending;
    /** Where encoded frames enter the pipeline (see {@link #writeFrame}); found on first use, event loop only. */
    private ChannelOutboundInvoker frames;
    /**
     * The relay interruptions this connection is covered from: it may have missed relayed messages in any later one
     * (the relay's {@code RelayGaps} decides, at join). Set at join and read after, on the channel's event loop. An
     * {@code int} fits in the object's alignment padding: it costs no heap (JOL: 72 bytes with or without it).
     */
    private int relayEpoch;

    public InboxSession(Channel channel, AuthenticatedUser user, int loopIndex, ServerFrameEncoder encoder,
                        GatewayMetrics metrics) {
        this.channel = channel;
        this.user = user;
        this.loopIndex = loopIndex;
        this.encoder = encoder;
        this.metrics = metrics;
    }

    /** The node's meters. */
    public GatewayMetrics metrics() {
        return metrics;
    }

    public Channel channel() {
        return channel;
    }

    public AuthenticatedUser user() {
        return user;
    }

    public long userId() {
        return user.id();
    }

    /** Index of this connection's event loop in {@link EventLoops}. */
    int loopIndex() {
        return loopIndex;
    }

    /** Sends an {@code ERROR} frame to this connection only; the connection stays open. */
    public void sendError(ErrorCode code, String message, long conversationId, String clientMsgId) {
        if (!channel.isActive()) {
            return;
        }
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(() -> sendError(code, message, conversationId, clientMsgId));
            return;
        }
        if (closing) {
            return;
        }
        if (overHardCap()) {
            closeOverCap();
            return;
        }
        metrics.errorSent(code);
        framesOut++;
        channel.writeAndFlush(encoder.encodeError(channel.alloc(), code, message, conversationId, clientMsgId),
                channel.voidPromise());
    }

    /**
     * Sends a close frame with {@code code} after everything already queued, then closes the TCP connection.
     * Only the first call has an effect.
     */
    public void close(CloseCode code) {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(() -> close(code));
            return;
        }
        if (closing || !channel.isActive()) {
            return;
        }
        closing = true;
        closeCode = code.code();
        metrics.closeSent(code.code());
        channel.writeAndFlush(new CloseWebSocketFrame(code.code(), code.reason()))
                .addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Closes a connection that has read too slowly for the grace period. Reading stops; the 1013 close frame goes
     * after everything queued, and the socket is closed at most {@link #CLOSE_FRAME_WAIT} later: a client that
     * catches up in time learns why, one that reads nothing costs no more than it already holds. Only the first
     * close of any kind has an effect.
     */
    public void closeSlow() {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(this::closeSlow);
            return;
        }
        if (!startSlowClose()) {
            return;
        }
        channel.config().setAutoRead(false);
        ScheduledFuture<?> deadline = channel.eventLoop().schedule(() -> channel.close(), CLOSE_FRAME_WAIT.toNanos(),
                TimeUnit.NANOSECONDS);
        channel.writeAndFlush(new CloseWebSocketFrame(CloseCode.SLOW_CONSUMER.code(), CloseCode.SLOW_CONSUMER.reason()))
                .addListener(f -> {
                    if (f.isSuccess() && channel instanceof DuplexChannel duplex) {
                        lingerAfterCloseFrame(duplex);
                    } else {
                        deadline.cancel(false);
                        channel.close();
                    }
                });
    }

    /**
     * Half-closes after the close frame and reads (and drops) what the client still sends until it closes or the
     * deadline does. Closing a socket with unread input makes the kernel send a reset, which can destroy the close
     * frame in the client's receive buffer before the client reads it (RFC 7230 §6.6 describes the same for HTTP).
     */
    private void lingerAfterCloseFrame(DuplexChannel duplex) {
        duplex.shutdownOutput();
        channel.config().setAutoRead(true); // a closing session's frames are released unread (ControlFrameHandler)
    }

    /**
     * Closes a connection whose queue has passed the hard cap ({@link #overHardCap}) at once, freeing the queue; the
     * 1013 close frame is attempted but cannot overtake what the client is not reading.
     */
    public void closeOverCap() {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(this::closeOverCap);
            return;
        }
        if (!startSlowClose()) {
            return;
        }
        channel.writeAndFlush(new CloseWebSocketFrame(CloseCode.SLOW_CONSUMER.code(), CloseCode.SLOW_CONSUMER.reason()),
                channel.voidPromise());
        channel.close();
    }

    /** Marks a slow close; false when the connection is closing already. Event loop only. */
    private boolean startSlowClose() {
        if (closing || !channel.isActive()) {
            return false;
        }
        closing = true;
        closeCode = CloseCode.SLOW_CONSUMER.code();
        metrics.slowConsumerClosed();
        metrics.closeSent(CloseCode.SLOW_CONSUMER.code());
        return true;
    }

    /**
     * Whether this connection's queue is past the hard cap: {@value #HARD_CAP_FACTOR} times its high water mark
     * ({@code --max-outbound-bytes}) beyond what it takes to turn writable again. Every write the node makes for a
     * connection (deliveries, acknowledgements, errors, pongs) is checked against it or refused while unwritable,
     * so one connection never holds more. Event loop only.
     */
    public boolean overHardCap() {
        return !channel.isWritable()
                && channel.bytesBeforeWritable() > HARD_CAP_FACTOR * (long) channel.config().getWriteBufferHighWaterMark();
    }

    /**
     * Whether the connection may send one more message now (a token bucket of {@code perSecond}, at most
     * {@code burst} at once). Event loop only.
     */
    public boolean tryTakeMessage(int perSecond, int burst) {
        long now = System.nanoTime();
        if (messages == null) {
            messages = new TokenBucket(perSecond, burst, now);
        }
        if (messages.tryTake(now)) {
            refusedInRow = 0;
            return true;
        }
        refusedInRow++;
        return false;
    }

    /** Messages refused in a row by the rate limit. Event loop only. */
    public int refusedInRow() {
        return refusedInRow;
    }

    /** A frame was received. Event loop only. */
    public void countIn() {
        framesIn++;
    }

    /**
     * Queues an already-encoded WebSocket frame, without a flush. It enters the pipeline just below Netty's frame
     * encoder ({@value #FRAME_ENCODER}), which would only pass a {@code ByteBuf} through: fan-out skips the walk
     * through every handler above it, once per recipient, while anything below it (the socket, a TLS handler)
     * still sees the bytes. Event loop only.
     */
    void writeFrame(ByteBuf frame) {
        frames().write(frame, channel.voidPromise());
        framesOut++;
    }

    /** Flushes what {@link #writeFrame} queued. Event loop only. */
    void flushFrames() {
        frames().flush();
    }

    private ChannelOutboundInvoker frames() {
        ChannelOutboundInvoker f = frames;
        if (f == null) {
            ChannelHandlerContext encoder = channel.pipeline().context(FRAME_ENCODER);
            // No frame encoder: a test's bare channel; the frames then go through the whole pipeline.
            frames = f = encoder != null ? encoder : channel.pipeline();
        }
        return f;
    }

    /** The close code this connection ended with, sent or received (first one wins). Event loop only. */
    public void closeCode(int code) {
        if (closeCode < 0) {
            closeCode = code;
        }
    }

    public int framesIn() {
        return framesIn;
    }

    public int framesOut() {
        return framesOut;
    }

    /** The close code, or -1 when the connection ended without one. */
    public int closeCode() {
        return closeCode;
    }

    public long openedAtNanos() {
        return openedAtNanos;
    }

    /** See {@link #relayEpoch(int)}. Event loop only. */
    public int relayEpoch() {
        return relayEpoch;
    }

    /** The relay interruptions this connection is covered from; set when it joins its group. Event loop only. */
    public void relayEpoch(int epoch) {
        relayEpoch = epoch;
    }

    /** Whether this side has started closing. Event loop only. */
    public boolean isClosing() {
        return closing;
    }

    /** Marks the connection as closing without sending a frame (the peer closed, or a codec already answered). */
    public void markClosing() {
        closing = true;
    }

    @Override
    public String toString() {
        return "InboxSession[user=" + user.id() + ", channel=" + channel.id().asShortText() + "]";
    }
}
