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
 * Keeps a connection honest: every {@code pingInterval} it checks when the client was last heard from (any frame,
 * a pong included). Quiet for a ping interval: send a ping. Silent for the idle timeout: close with 4000, so the
 * client reconnects and the node frees a dead peer's resources. One periodic task per connection.
 */
public final class KeepaliveHandler extends ChannelInboundHandlerAdapter {
    private final long pingIntervalNanos;
    private final long idleTimeoutNanos;
    /** Last time anything was read; event loop only. */
    private long lastReadNanos;
    /** The periodic check; event loop only. */
    private ScheduledFuture<?> check;

    public KeepaliveHandler(Duration pingInterval, Duration idleTimeout) {
        this.pingIntervalNanos = pingInterval.toNanos();
        this.idleTimeoutNanos = idleTimeout.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        lastReadNanos = System.nanoTime();
        check = ctx.executor().scheduleAtFixedRate(() -> tick(ctx), pingIntervalNanos, pingIntervalNanos,
                TimeUnit.NANOSECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        check.cancel(false);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        check.cancel(false);
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastReadNanos = System.nanoTime();
        ctx.fireChannelRead(msg);
    }

    private void tick(ChannelHandlerContext ctx) {
        long quiet = System.nanoTime() - lastReadNanos;
        InboxSession session = ctx.channel().attr(InboxSession.KEY).get();
        if (quiet >= idleTimeoutNanos) {
            if (session != null) {
                session.close(CloseCode.IDLE_TIMEOUT);
            } else {
                ctx.close();
            }
        } else if (quiet >= pingIntervalNanos - pingIntervalNanos / 10 && ctx.channel().isActive()) {
            ctx.writeAndFlush(new PingWebSocketFrame(), ctx.voidPromise());
        }
    }
}
