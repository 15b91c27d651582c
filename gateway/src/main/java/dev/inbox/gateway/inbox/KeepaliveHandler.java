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
 * close with 4000, so the client reconnects and the node frees a dead peer's resources. When the user's token
 * expires: close with 4501, so the client fetches a new token rather than retrying blindly.
 *
 * <p>One timer per connection, re-armed for the nearest deadline of the three, so each close comes at its time, not
 * up to an interval later, and an idle connection holds one scheduled task, not two (memory per idle connection is
 * one of the gateway's published figures). Time is the executor's ticker, which is the system clock in production
 * and a test's controllable clock in tests; the token's wall-clock expiry is placed on it once, when the handler is
 * added.
 */
public final class KeepaliveHandler extends ChannelInboundHandlerAdapter {
    private final long pingIntervalNanos;
    private final long idleTimeoutNanos;
    /** Last time anything was read, on the executor's ticker; event loop only. */
    private long lastReadNanos;
    /** When the token expires, on the executor's ticker; {@code Long.MAX_VALUE} when it never does. */
    private long expiresAtNanos = Long.MAX_VALUE;
    /** The next check; event loop only. */
    private ScheduledFuture<?> check;

    public KeepaliveHandler(Duration pingInterval, Duration idleTimeout) {
        this.pingIntervalNanos = pingInterval.toNanos();
        this.idleTimeoutNanos = idleTimeout.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        lastReadNanos = ctx.executor().ticker().nanoTime();
        InboxSession session = ctx.channel().attr(InboxSession.KEY).get();
        long expiresAtMillis = session == null ? Long.MAX_VALUE : session.user().expiresAtMillis();
        if (expiresAtMillis != Long.MAX_VALUE) {
            long untilExpiry = Math.max(0, expiresAtMillis - System.currentTimeMillis());
            expiresAtNanos = lastReadNanos + TimeUnit.MILLISECONDS.toNanos(untilExpiry);
        }
        schedule(ctx, Math.min(pingIntervalNanos, expiresAtNanos - lastReadNanos));
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
        long now = ctx.executor().ticker().nanoTime();
        if (now >= expiresAtNanos) {
            check = null;
            close(ctx, CloseCode.TOKEN_EXPIRED);
            return;
        }
        long quiet = now - lastReadNanos;
        if (quiet >= idleTimeoutNanos) {
            check = null;
            close(ctx, CloseCode.IDLE_TIMEOUT);
            return;
        }
        long untilIdle = idleTimeoutNanos - quiet;
        long untilExpiry = expiresAtNanos - now;
        if (quiet >= pingIntervalNanos) {
            ctx.writeAndFlush(new PingWebSocketFrame(), ctx.voidPromise());
            schedule(ctx, Math.min(Math.min(pingIntervalNanos, untilIdle), untilExpiry));
        } else {
            schedule(ctx, Math.min(Math.min(pingIntervalNanos - quiet, untilIdle), untilExpiry));
        }
    }

    private static void close(ChannelHandlerContext ctx, CloseCode code) {
        InboxSession session = ctx.channel().attr(InboxSession.KEY).get();
        if (session != null) {
            session.close(code);
        } else {
            ctx.close();
        }
    }
}
