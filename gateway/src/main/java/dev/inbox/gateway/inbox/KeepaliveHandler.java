package dev.inbox.gateway.inbox;

import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.protocol.CloseCode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a connection honest: it tracks when the client was last heard from (any frame, a pong included). Quiet
 * for a ping interval: send a ping, and again every interval while the quiet lasts. Silent for the idle timeout:
 * close with 4000, so the client reconnects and the node frees a dead peer's resources. One timer per connection,
 * re-armed for the next deadline, so the close comes at the timeout, not up to an interval later. Time is the
 * executor's ticker, which is the system clock in production and a test's controllable clock in tests.
 */
public final class KeepaliveHandler extends ChannelInboundHandlerAdapter {
    private final long pingIntervalNanos;
    private final long idleTimeoutNanos;
    /** Last time anything was read, on the executor's ticker; event loop only. */
    private long lastReadNanos;
    /** The next check; event loop only. */
    private ScheduledFuture<?> check;

    public KeepaliveHandler(Duration pingInterval, Duration idleTimeout) {
        this.pingIntervalNanos = pingInterval.toNanos();
        this.idleTimeoutNanos = idleTimeout.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        lastReadNanos = ctx.executor().ticker().nanoTime();
        schedule(ctx, pingIntervalNanos);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastReadNanos = ctx.executor().ticker().nanoTime();
        ctx.fireChannelRead(msg);
    }

    private void schedule(ChannelHandlerContext ctx, long delayNanos) {
        check = ctx.executor().schedule(() -> check(ctx), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }

    private void check(ChannelHandlerContext ctx) {
        if (check == null || !ctx.channel().isActive()) {
            return; // cancelled, or the connection is gone
        }
        long quiet = ctx.executor().ticker().nanoTime() - lastReadNanos;
        if (quiet >= idleTimeoutNanos) {
            check = null;
            InboxSession session = ctx.channel().attr(InboxSession.KEY).get();
            if (session != null) {
                session.close(CloseCode.IDLE_TIMEOUT);
            } else {
                ctx.close();
            }
            return;
        }
        long untilIdle = idleTimeoutNanos - quiet;
        if (quiet >= pingIntervalNanos) {
            ctx.writeAndFlush(new PingWebSocketFrame(), ctx.voidPromise());
            schedule(ctx, Math.min(pingIntervalNanos, untilIdle));
        } else {
            schedule(ctx, Math.min(pingIntervalNanos - quiet, untilIdle));
        }
    }
}
