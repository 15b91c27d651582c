package dev.inbox.gateway.inbox;

import dev.inbox.gateway.routing.InboxSession;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Holds a connection to its outbound bound ({@code --max-outbound-bytes}, Netty's high water mark). While its queue
 * is over the bound the connection is not read: whatever a client makes the node write (pongs, errors,
 * acknowledgements) stops with its reading, so a peer that sends without reading cannot grow its queue by more than
 * one read's worth. A grace timer starts too; if the queue has not drained below the low mark when it fires, the
 * connection is closed with 1013 ({@link InboxSession#closeSlow}). Deliveries go on queueing meanwhile, up to the
 * hard cap ({@link InboxSession#overHardCap}) where it is closed at once, so a slow reader costs at most that much
 * memory and never blocks a thread or delays anyone else's delivery.
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
            ctx.channel().config().setAutoRead(false);
            if (timer == null) {
                timer = ctx.executor().schedule(() -> expire(ctx), graceNanos, TimeUnit.NANOSECONDS);
            }
        } else {
            cancel();
            InboxSession session = ctx.channel().attr(InboxSession.KEY).get();
            if (session == null || !session.isClosing()) {
                ctx.channel().config().setAutoRead(true);
            }
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
