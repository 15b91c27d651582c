package dev.inbox.gateway.admin;

import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.metrics.Limit;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/** The admin port's pipeline: HTTP codec, body aggregation up to the configured bound, the API. */
public final class AdminChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final AdminHandler handler;
    private final int maxBodyBytes;
    private final GatewayMetrics metrics;

    public AdminChannelInitializer(AdminHandler handler, int maxBodyBytes, GatewayMetrics metrics) {
        this.handler = handler;
        this.maxBodyBytes = maxBodyBytes;
        this.metrics = metrics;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline()
                .addLast("http", new HttpServerCodec())
                .addLast("body", new BoundedBody(maxBodyBytes, metrics))
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
            String body = "{\"error\":\"body_too_large\",\"message\":\"request body over " + maxContentLength()
                    + " bytes\"}\n";
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
