package dev.inbox.benchmarks.loadgen;

import dev.inbox.testkit.DeliveryLedger;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One client connection: runs the RFC 6455 upgrade with Netty's client handshaker (which also installs the masking
 * frame encoder, as RFC 6455 §5.3 requires of clients), then hands every text frame to its {@link LoadWorker},
 * answers pings, and reports how it ended. The last handler of its pipeline; every message it reads it releases or
 * passes on. All fields are touched only by the channel's event loop.
 */
final class LoadConnection extends ChannelInboundHandlerAdapter {
    private final LoadWorker worker;
    /** The conversation this connection belongs to; null in memory mode (no messages). */
    final ConversationState conversation;
    /** This connection's index among its conversation's connections; it sends when below the sender slots. */
    final int slot;

    private final WebSocketClientHandshaker handshaker;
    private final long startNanos;
    private final long timeoutNanos;
    private final Runnable onSettled;

    /** Set once the upgrade succeeded. */
    DeliveryLedger ledger;

    Channel channel;
    /** The next message's sequence. */
    long nextSeq = 1;
    /** The highest message_id this connection has received (mixed scenario: what its READ names); 0 before any. */
    long lastMessageId;
    /**
     * After the sequence in each {@code client_msg_id}: this connection's own tag. The gateway takes a
     * {@code client_msg_id} its user sent to the conversation within {@code --dedup-window} for a resend, and a user's
     * other connections, and the next run's, count from 1 too.
     */
    final byte[] clientMsgIdTag = MessageText.newTag();

    private boolean settled;
    private boolean open;
    private int closeCode = -1;
    private ScheduledFuture<?> timeout;

    LoadConnection(
            LoadWorker worker,
            ConversationState conversation,
            int slot,
            WebSocketClientHandshaker handshaker,
            long startNanos,
            long timeoutNanos,
            Runnable onSettled) {
        this.worker = worker;
        this.conversation = conversation;
        this.slot = slot;
        this.handshaker = handshaker;
        this.startNanos = startNanos;
        this.timeoutNanos = timeoutNanos;
        this.onSettled = onSettled;
    }

    boolean sends() {
        return conversation != null && slot < conversation.senderSlots;
    }

    boolean isOpen() {
        return open;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        timeout = ctx.executor()
                .schedule(
                        () -> {
                            if (!settled) {
                                fail("timeout");
                                ctx.close();
                            }
                        },
                        timeoutNanos,
                        TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        handshaker.handshake(ctx.channel()).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof TextWebSocketFrame text) {
            try {
                worker.onText(this, text.content(), System.nanoTime());
            } finally {
                text.release();
            }
        } else if (msg instanceof FullHttpResponse response) {
            try {
                finishHandshake(ctx, response);
            } finally {
                response.release();
            }
        } else if (msg instanceof PingWebSocketFrame ping) {
            ctx.writeAndFlush(new PongWebSocketFrame(ping.content()), ctx.voidPromise());
        } else if (msg instanceof CloseWebSocketFrame close) {
            closeCode = close.statusCode();
            close.release();
            ctx.close();
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void finishHandshake(ChannelHandlerContext ctx, FullHttpResponse response) {
        if (settled) {
            return; // timed out meanwhile
        }
        try {
            handshaker.finishHandshake(ctx.channel(), response);
        } catch (WebSocketHandshakeException e) {
            fail(refusal(response));
            ctx.close();
            return;
        }
        open = true;
        settle();
        worker.established(this, System.nanoTime() - startNanos);
    }

    /**
     * {@code http_429_too_many}: the status and the gateway's error code from its JSON body ({@code bad_upgrade} for
     * a 101 that failed validation). Read here: the handshaker's exception keeps the status but not the body.
     */
    private static String refusal(FullHttpResponse r) {
        if (r.status().code() == 101) {
            return "bad_upgrade";
        }
        String reason = "http_" + r.status().code();
        String s = r.content().toString(StandardCharsets.UTF_8);
        int at = s.indexOf("\"error\":\"");
        if (at >= 0) {
            int end = s.indexOf('"', at + 9);
            if (end > at + 9 && end - at < 64) {
                reason += "_" + s.substring(at + 9, end);
            }
        }
        return reason;
    }

    /** The connect itself failed: refused, unreachable, or no local port left. */
    void connectFailed(Throwable cause) {
        fail("connect_" + cause.getClass().getSimpleName());
    }

    private void fail(String reason) {
        if (!settled) {
            settle();
            worker.failed(reason);
        }
    }

    private void settle() {
        settled = true;
        if (timeout != null) {
            timeout.cancel(false);
        }
        onSettled.run();
    }

    /** Closes with 1000 once what is queued has gone. */
    void close() {
        if (open) {
            channel.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
                    .addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!settled) {
            fail("closed_before_upgrade");
        } else if (open) {
            open = false;
            worker.closed(this, closeCode < 0 ? "no_close_frame" : Integer.toString(closeCode));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!settled) {
            fail("error_" + cause.getClass().getSimpleName());
        } else {
            worker.error(cause);
        }
        ctx.close();
    }
}
