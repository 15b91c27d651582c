package dev.inbox.gateway.routing;

import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.protocol.CloseCode;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One authenticated WebSocket connection: who it belongs to and which event loop serves it. Created when the
 * handshake succeeds, held by the connection's {@code ConnectionHandler} and its user group (not in a channel
 * attribute: 24 bytes more per connection), kept small: everything else about a connection lives in its handler.
 *
 * <p>Every method may be called from any thread; writes from another thread are queued to the channel's loop.
 */
public final class InboxSession {
    /** The hard cap on a connection's queue, as a multiple of its high water mark (see {@link #overHardCap}). */
    public static final int HARD_CAP_FACTOR = 4;
    /** How long the node waits for the client's answer to its close frame before it closes the socket. */
    public static final Duration CLOSE_HANDSHAKE_TIMEOUT = Duration.ofSeconds(2);
    /** The name Netty's handshaker gives the WebSocket frame encoder it adds to the pipeline. */
    public static final String FRAME_ENCODER = "wsencoder";
    /**
     * A connection's messages on their way at once, at most: read, and not yet acknowledged (or refused) on this
     * connection. At this many it is not read until half are done (frames already read with the one that reached it
     * still go through: at most one receive buffer, 64 KiB). Without it, a sender the rate limit lets through
     * ({@code --rate-limit}) could queue messages ahead of a busy admission or of its own loop as fast as the node
     * reads them; with it, it waits in its own TCP window. Small, because under overload it is the standing queue:
     * at most this many messages per connection wait inside the node (benchmarks/RESULTS.md, issue 18), and
     * pipelining 8 still lets one connection send thousands a second.
     */
    public static final int MAX_ADMISSIONS_IN_FLIGHT = 8;

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
    /** This connection's TYPING/READ/READS/UNREAD rate limiter, made on its first such frame; event loop only. */
    private TokenBucket events;
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
    /** A HISTORY request of this connection is being answered; event loop only. */
    private boolean historyInFlight;
    /** Messages of this connection handed to the router, not yet acknowledged or refused here; event loop only. */
    private int admissionsInFlight;
    /** Reading stopped at {@link #MAX_ADMISSIONS_IN_FLIGHT}; event loop only. */
    private boolean admissionsFull;
    /** A resumed connection's seam: live frames held while the replay runs, then late duplicates dropped; else null. */
    private ResumeSeam seam;

    public InboxSession(
            Channel channel,
            AuthenticatedUser user,
            int loopIndex,
            ServerFrameEncoder encoder,
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
        channel.writeAndFlush(
                encoder.encodeError(channel.alloc(), code, message, conversationId, clientMsgId),
                channel.voidPromise());
    }

    /**
     * One of this connection's messages was refused: the {@code ERROR}, and the message no longer counts as on its
     * way ({@link #admissionFinished}). Any thread.
     */
    void refused(ErrorCode code, String message, long conversationId, String clientMsgId) {
        if (!channel.eventLoop().inEventLoop()) {
            try {
                channel.eventLoop().execute(() -> refused(code, message, conversationId, clientMsgId));
            } catch (RejectedExecutionException e) {
                // the loop is shutting down and this connection with it
            }
            return;
        }
        admissionFinished();
        sendError(code, message, conversationId, clientMsgId);
    }

    /**
     * Sends {@code ack}, an acknowledgement that goes to this connection alone (a recognised resend's), and takes
     * ownership of it. Not to a connection that may have missed a relayed event ({@link UserGroups#missedRelay}): the
     * ack would carry its resume position past that event, and the replay after its 4002 close brings the message.
     * Any thread.
     */
    void sendAck(ByteBuf ack, UserGroups coverage) {
        if (!channel.eventLoop().inEventLoop()) {
            try {
                channel.eventLoop().execute(() -> sendAck(ack, coverage));
            } catch (RejectedExecutionException e) {
                ack.release(); // the loop is shutting down and this connection with it
            }
            return;
        }
        admissionFinished();
        if (!channel.isActive() || closing || coverage.missedRelay(this)) {
            ack.release();
            return;
        }
        if (overHardCap()) {
            ack.release();
            closeOverCap();
            return;
        }
        writeFrame(ack); // the way events go, so an ack and the events around it keep their order
        flushFrames();
    }

    /**
     * Sends one frame the caller encoded (released here when the connection cannot take it), flushed; it counts
     * against the outbound bound like any frame. Event loop only.
     */
    public void sendFrame(ByteBuf frame) {
        if (!channel.isActive() || closing) {
            frame.release();
            return;
        }
        if (overHardCap()) {
            frame.release();
            closeOverCap();
            return;
        }
        framesOut++;
        channel.writeAndFlush(frame, channel.voidPromise());
    }

    /** Marks a HISTORY request in flight; false when one already is (at most one per connection). Event loop only. */
    public boolean startHistoryRead() {
        if (historyInFlight) {
            return false;
        }
        historyInFlight = true;
        return true;
    }

    /** The HISTORY request in flight is answered. Event loop only. */
    public void endHistoryRead() {
        historyInFlight = false;
    }

    /**
     * Closes the connection with {@code code}: the one way this node ends a connection it has upgraded (see
     * {@link #close(int, String)}). Any thread.
     */
    public void close(CloseCode code) {
        close(code.code(), code.reason());
    }

    /**
     * Starts the closing handshake (RFC 6455 §7.1.2): the close frame goes after everything already queued; once it
     * is written the node half-closes and reads on, dropping data frames, until the client answers with its own
     * close frame or closes, or {@link #CLOSE_HANDSHAKE_TIMEOUT} passes. Closing the socket at once would leave
     * the client's in-flight frames unread, and the kernel would answer them with a reset that can destroy the
     * close frame in the client's receive buffer before the client reads it. Only the first close of any kind has
     * an effect. Any thread.
     */
    public void close(int code, String reason) {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(() -> close(code, reason));
            return;
        }
        if (startClose(code)) {
            sendCloseFrame(new CloseWebSocketFrame(code, reason));
        }
    }

    /**
     * Fails the connection (RFC 6455 §7.1.7) after a protocol violation: the close frame with {@code code}, then the
     * socket, without waiting for an answer the client's broken stream may never carry. Only the first close of
     * any kind has an effect. Event loop only.
     *
     * @return false when this side was closing already
     */
    public boolean fail(int code, String reason) {
        if (!startClose(code)) {
            return false;
        }
        channel.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
        return true;
    }

    /**
     * Closes a connection that has read too slowly for the grace period, with 1013. Nothing more is read until the
     * close frame is written: a client that catches up in time learns why, one that reads nothing costs no more
     * than it already holds until the handshake times out. Any thread.
     */
    public void closeSlow() {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(this::closeSlow);
            return;
        }
        if (startClose(CloseCode.SLOW_CONSUMER.code())) {
            metrics.slowConsumerClosed();
            channel.config().setAutoRead(false);
            sendCloseFrame(new CloseWebSocketFrame(CloseCode.SLOW_CONSUMER.code(), CloseCode.SLOW_CONSUMER.reason()));
        }
    }

    /**
     * Closes a connection whose queue has passed the hard cap ({@link #overHardCap}) at once, freeing the queue; the
     * 1013 close frame is attempted but cannot overtake what the client is not reading. Event loop only.
     */
    public void closeOverCap() {
        if (startClose(CloseCode.SLOW_CONSUMER.code())) {
            metrics.slowConsumerClosed();
            channel.writeAndFlush(
                    new CloseWebSocketFrame(CloseCode.SLOW_CONSUMER.code(), CloseCode.SLOW_CONSUMER.reason()),
                    channel.voidPromise());
            channel.close();
        }
    }

    /**
     * The client's close frame: when this side started the handshake it is complete and the socket closes;
     * otherwise the code is echoed (an empty close when the client sent none, RFC 6455 §5.5.1) and the socket
     * closes once the echo is written. Event loop only.
     *
     * @param code the client's code, or -1 when its frame had none
     */
    public void closeReceived(int code) {
        if (closing) {
            channel.close();
            return;
        }
        closing = true;
        metrics.closeReceived(code);
        closeCode = code < 0 ? 1005 : code; // 1005: no status received (RFC 6455 §7.4.1)
        if (code >= 0) {
            metrics.closeSent(code);
        }
        // The decoder has already refused a close frame with a code no endpoint may send, or a non-UTF-8 reason.
        channel.writeAndFlush(code < 0 ? new CloseWebSocketFrame() : new CloseWebSocketFrame(code, ""))
                .addListener(ChannelFutureListener.CLOSE);
    }

    /** Marks this side as closing with {@code code}; false when it already is, or the socket is gone. */
    private boolean startClose(int code) {
        if (closing || !channel.isActive()) {
            return false;
        }
        closing = true;
        closeCode = code;
        metrics.closeSent(code);
        return true;
    }

    private void sendCloseFrame(CloseWebSocketFrame frame) {
        ScheduledFuture<?> timeout = channel.eventLoop()
                .schedule(() -> channel.close(), CLOSE_HANDSHAKE_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
        channel.closeFuture().addListener(f -> timeout.cancel(false));
        channel.writeAndFlush(frame).addListener(f -> {
            if (!f.isSuccess()) {
                channel.close();
                return;
            }
            if (channel instanceof DuplexChannel duplex) {
                duplex.shutdownOutput();
            }
            channel.config().setAutoRead(true); // a closing session's data frames are dropped (ConnectionHandler)
        });
    }

    /**
     * Whether this connection's queue is past the hard cap: {@value #HARD_CAP_FACTOR} times its high water mark
     * ({@code --max-outbound-bytes}) beyond what it takes to turn writable again. Every write the node makes for a
     * connection (deliveries, acknowledgements, errors, pongs) is checked against it or refused while unwritable,
     * so one connection never holds more. Event loop only.
     */
    public boolean overHardCap() {
        return !channel.isWritable()
                && channel.bytesBeforeWritable()
                        > HARD_CAP_FACTOR * (long) channel.config().getWriteBufferHighWaterMark();
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

    /**
     * Whether the connection may send one more typing or read-receipt frame now: a bucket of its own, so typing never
     * eats into the message rate (docs/protocol.md, "Typing and read receipts"). Event loop only.
     */
    public boolean tryTakeEvent(int perSecond, int burst) {
        long now = System.nanoTime();
        if (events == null) {
            events = new TokenBucket(perSecond, burst, now);
        }
        return events.tryTake(now);
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
     * encoder ({@value #FRAME_ENCODER}), which would only pass a {@code ByteBuf} through, or, once the 101 is written
     * and that encoder gone, below the handler that took over ({@link #writeFramesFrom}): fan-out skips the walk
     * through every handler above it, once per recipient, while anything below it (the socket, a TLS handler)
     * still sees the bytes. Event loop only.
     */
    void writeFrame(ByteBuf frame) {
        if (seam != null) {
            if (seam.held != null) {
                hold(frame);
                return;
            }
            if (seam.alreadyDelivered(frame)) {
                frame.release();
                return;
            }
            if (seam.over(System.nanoTime())) {
                seam = null;
            }
        }
        writeNow(frame);
    }

    /** {@link #writeFrame} past any hold: a resume's replay. Event loop only. */
    public void writeNow(ByteBuf frame) {
        frames().write(frame, channel.voidPromise());
        framesOut++;
    }

    /**
     * From now until {@link #stopHolding}, live frames are held back, not written (a resume replays first). They
     * count against the same hard cap as a queue: past it the connection is closed (1013). Event loop only.
     */
    public void startHolding() {
        seam = new ResumeSeam();
    }

    public boolean isHolding() {
        return seam != null && seam.held != null;
    }

    /** Ends the hold: the frames held, oldest first, now the caller's to write or release. Event loop only. */
    public java.util.List<ByteBuf> stopHolding() {
        if (seam == null || seam.held == null) {
            return java.util.List.of();
        }
        java.util.List<ByteBuf> frames = seam.held;
        seam = null;
        return frames;
    }

    /**
     * After a replay: for a while, a live message at or below {@code delivered}'s id for its conversation (the
     * replay's end, or what the client had) is dropped, since it was on its way while the replay was read (see
     * {@link ResumeSeam}). Event loop only.
     */
    public void watchSeam(java.util.Map<Long, Long> delivered) {
        ResumeSeam s = new ResumeSeam();
        s.held = null;
        s.replayed(delivered, System.nanoTime());
        seam = s.over(System.nanoTime()) ? null : s;
    }

    /** Whether an encoded frame that {@link #stopHolding} returned is a message the client already has. */
    public static boolean alreadyDelivered(ByteBuf frame, java.util.Map<Long, Long> delivered) {
        long[] ids = ResumeSeam.messageIdsOf(frame);
        return ids != null && ids[1] <= delivered.getOrDefault(ids[0], 0L);
    }

    private void hold(ByteBuf frame) {
        seam.heldBytes += frame.readableBytes();
        if (seam.heldBytes > HARD_CAP_FACTOR * (long) channel.config().getWriteBufferHighWaterMark()) {
            frame.release();
            stopHolding().forEach(ByteBuf::release);
            closeOverCap();
            return;
        }
        seam.held.add(frame);
    }

    /**
     * Encoded frames enter the pipeline below {@code ctx} from now on: the handler that took over from Netty's frame
     * encoder once the 101 was written. Event loop only.
     */
    public void writeFramesFrom(ChannelHandlerContext ctx) {
        frames = ctx;
    }

    /** Flushes what {@link #writeFrame} queued. Event loop only. */
    public void flushFrames() {
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

    /**
     * One more of this connection's messages goes to the router; at {@link #MAX_ADMISSIONS_IN_FLIGHT} reading stops.
     * Event loop only.
     */
    public void admissionStarted() {
        if (++admissionsInFlight >= MAX_ADMISSIONS_IN_FLIGHT && !admissionsFull) {
            admissionsFull = true;
            channel.config().setAutoRead(false);
        }
    }

    /**
     * One of this connection's messages was acknowledged or refused here; reading resumes at half the bound. Event
     * loop only.
     */
    public void admissionFinished() {
        if (--admissionsInFlight <= MAX_ADMISSIONS_IN_FLIGHT / 2 && admissionsFull) {
            admissionsFull = false;
            if (!closing && channel.isWritable()) {
                channel.config().setAutoRead(true);
            }
        }
    }

    /** Whether reading is stopped for messages being admitted ({@link #admissionStarted}). Event loop only. */
    public boolean admissionsFull() {
        return admissionsFull;
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
