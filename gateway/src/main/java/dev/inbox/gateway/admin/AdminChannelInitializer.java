package dev.inbox.gateway.admin;

import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.metrics.Limit;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The admin port's pipeline, in wire order: the HTTP codec (heads bounded by its defaults, 4 KiB request line and
 * 8 KiB of headers), the read timeout, the gate that checks each head (key, connection cap) before any body is read,
 * body aggregation up to the configured bound, the API.
 */
public final class AdminChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final AdminHandler handler;
    private final GatewayConfig.Admin config;
    private final byte[] apiKey;
    private final GatewayMetrics metrics;
    /** Admin connections open now, node-wide; every connection's gate counts itself in and out. */
    private final AtomicInteger open = new AtomicInteger();

    /** Every open admin connection, so the node can close them and wait before its loop stops. */
    private final ChannelGroup connections;

    public AdminChannelInitializer(
            AdminHandler handler, GatewayConfig.Admin config, GatewayMetrics metrics, ChannelGroup connections) {
        this.handler = handler;
        this.connections = connections;
        this.config = config;
        this.apiKey = config.apiKey().getBytes(StandardCharsets.UTF_8);
        this.metrics = metrics;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        connections.add(ch);
        ch.pipeline()
                .addLast("http", new HttpServerCodec())
                .addLast("timeout", new AdminReadTimeoutHandler(config.readTimeout(), metrics))
                .addLast("gate", new AdminRequestGate(apiKey, open, config.maxConnections(), metrics))
                .addLast("body", new BoundedBody(config.maxBodyBytes(), metrics))
                .addLast("api", handler);
    }

    /** Aggregates a request body up to the bound; past it, a 413 with a JSON body like every other admin error. */
    private static final class BoundedBody extends HttpObjectAggregator {
        private final GatewayMetrics metrics;

        BoundedBody(int maxBodyBytes, GatewayMetrics metrics) {
            super(maxBodyBytes);
            this.metrics = metrics;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            metrics.limitHit(Limit.ADMIN_BODY);
            ctx.writeAndFlush(AdminRequestGate.error(
                            HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                            "body_too_large",
                            "request body over " + maxContentLength() + " bytes"))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }
}
