package dev.inbox.gateway.inbox;

import dev.inbox.gateway.routing.InboxSession;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection that reads too slowly. When its outbound queue passes the high water mark
 * ({@code --max-outbound-bytes}) the channel turns unwritable and a grace timer starts; if the queue has not drained
 * below the low mark when it fires, the connection is closed with 1013. Writes go on queueing meanwhile, up to the
 * hard cap (4x the bound) that {@code Fanout} enforces, so a slow reader costs at most that much memory and never
 * blocks a thread or delays anyone else's delivery.
 */
public final class SlowConsumerHandler extends ChannelInboundHandlerAdapter {
    private final long graceNanos;
    /** The running grace timer, or null; event loop only. */
    private ScheduledFuture<?> timer;

    public SlowConsumerHandler(Duration grace) {
        this.graceNanos = grace.toNanos();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable()) {
            if (timer == null) {
                timer = ctx.executor().schedule(() -> expire(ctx), graceNanos, TimeUnit.NANOSECONDS);
            }
        } else {
            cancel();
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void expire(ChannelHandlerContext ctx) {
        timer = null;
        InboxSession session = ctx.channel().attr(InboxSession.KEY).get();
        if (session != null && ctx.channel().isActive() && !ctx.channel().isWritable()) {
            session.closeSlow();
        }
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }
}
