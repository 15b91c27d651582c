package dev.inbox.gateway.admin;

import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.metrics.Limit;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes an admin connection that keeps the node waiting for input longer than the read timeout (issue 11: without
 * one, a connection could hold its place and its buffers for ever). The clock runs while the node waits for the
 * peer and stops while the peer waits for the node:
 * <ul>
 *   <li>from the connection's start, and from each answer written, until the next request head is complete: a head
 *       trickled a byte at a time gets no more time than a silent one;</li>
 *   <li>during a body, from each piece of it to the next;</li>
 *   <li>not from a complete request to its answer, however long a publish waits for Redis.</li>
 * </ul>
 * Between the HTTP codec and the gate, so it sees decoded heads and body pieces. One instance per connection; its
 * timer is touched on the admin event loop only.
 */
final class AdminReadTimeoutHandler extends ChannelDuplexHandler {
    private final long timeoutNanos;
    private final GatewayMetrics metrics;

    /** Closes the connection when it fires; null while the node owes an answer. Admin loop only. */
    private ScheduledFuture<?> deadline;

    AdminReadTimeoutHandler(Duration timeout, GatewayMetrics metrics) {
        this.timeoutNanos = timeout.toNanos();
        this.metrics = metrics;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof LastHttpContent) {
            disarm(); // the request is complete: now the node owes the answer
        } else if (msg instanceof HttpObject) {
            arm(ctx); // a head, or a piece of a body: the next piece gets the whole timeout again
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof LastHttpContent) {
            arm(ctx); // answered (or told 100 Continue): waiting for the peer again
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        disarm();
        ctx.fireChannelInactive();
    }

    private void arm(ChannelHandlerContext ctx) {
        disarm();
        deadline = ctx.executor()
                .schedule(
                        () -> {
                            if (ctx.channel().isOpen()) {
                                metrics.limitHit(Limit.ADMIN_READ_TIMEOUT);
                                ctx.close();
                            }
                        },
                        timeoutNanos,
                        TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }
}
