package dev.inbox.gateway.server;

import dev.inbox.gateway.inbox.InboxEndpoint;
import dev.inbox.gateway.routing.InboxSession;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * What the Autobahn|Testsuite expects behind the pipeline it tests: every text and binary message sent back as it
 * came, as one frame. It stands in for {@code InboxFrameHandler}, the only handler {@link AutobahnIT} replaces; the
 * decoder, UTF-8 validation, reassembly, keepalive, pings and closes in front of it are the production ones.
 */
@ChannelHandler.Sharable
final class EchoEndpoint extends ChannelInboundHandlerAdapter implements InboxEndpoint {
    @Override
    public void start(InboxSession session) {
        // No user group to join: nothing is routed.
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame) {
            // The reassembled message: one final frame, no RSV bits. The encoder releases it.
            ctx.writeAndFlush(msg, ctx.voidPromise());
        } else {
            ReferenceCountUtil.release(msg);
        }
    }
}
