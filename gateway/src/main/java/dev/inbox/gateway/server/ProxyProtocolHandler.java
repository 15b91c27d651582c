package dev.inbox.gateway.server;

import dev.inbox.gateway.auth.ClientAddressResolver;
import dev.inbox.gateway.config.IpBlock;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;

/**
 * Takes the client address from the PROXY protocol header (v1 or v2, decoded by Netty's
 * {@code HAProxyMessageDecoder} just before this handler) and removes itself. A {@code LOCAL} header (the load
 * balancer's own health check) leaves the TCP peer as the address.
 */
final class ProxyProtocolHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HAProxyMessage proxy) {
            try {
                if (proxy.command() == HAProxyCommand.PROXY && proxy.sourceAddress() != null) {
                    InetAddress source = IpBlock.literal(proxy.sourceAddress());
                    if (source != null) {
                        ctx.channel().attr(ClientAddressResolver.PROXIED).set(source);
                    }
                }
            } finally {
                ReferenceCountUtil.release(proxy);
                ctx.pipeline().remove(this);
            }
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
