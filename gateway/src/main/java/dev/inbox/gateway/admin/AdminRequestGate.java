package dev.inbox.gateway.admin;

import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.metrics.Limit;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decides on each request's head, before any of its body is read, whether the body may be read at all. Sits between
 * the HTTP codec and the body aggregator, so a refused request costs its head (the codec's bounds: 4 KiB request
 * line, 8 KiB of headers) and never a body buffer (issue 11: 900 connections announcing 1 MB bodies without a key
 * filled direct memory and stalled the admin loop, and with it {@code /healthz}).
 * <ul>
 *   <li>Outside {@code /api/} ({@code /healthz}, {@code /readyz}, {@code /metrics}, unknown paths): no key, so no
 *       body either; one declared is refused (400).</li>
 *   <li>{@code /api/...}: 401 without the right bearer key; 503 {@code too_many_connections} on a connection opened
 *       past the cap. So bodies are read on at most {@code admin-max-connections} connections, each holding at most
 *       {@code admin-max-body-bytes}.</li>
 *   <li>A connection past the cap still gets its probe or scrape answered, then is closed: probes never share the
 *       resource body reading is limited by.</li>
 * </ul>
 * A refused request is answered and its connection closed; reading stops and whatever was already decoded of its body
 * is released unread. One instance per connection, on the admin event loop.
 */
final class AdminRequestGate extends ChannelInboundHandlerAdapter {
    static final String API_PREFIX = "/api/";

    private final byte[] apiKey;
    private final AtomicInteger open;
    private final int maxConnections;
    private final GatewayMetrics metrics;

    /** Whether this connection was opened past the cap. Admin loop only. */
    private boolean overCap;
    /** A request was refused: everything read after it is released, until the close. Admin loop only. */
    private boolean refused;

    /**
     * @param open node-wide count of open admin connections, shared by every connection's gate
     */
    AdminRequestGate(byte[] apiKey, AtomicInteger open, int maxConnections, GatewayMetrics metrics) {
        this.apiKey = apiKey;
        this.open = open;
        this.maxConnections = maxConnections;
        this.metrics = metrics;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        overCap = open.incrementAndGet() > maxConnections;
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        open.decrementAndGet();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest request && !admit(ctx, request)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    /** Whether the request may go on to the aggregator; if not, it has been answered and the connection is closing. */
    private boolean admit(ChannelHandlerContext ctx, HttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            return true; // a head the codec could not read carries no body; the API answers it 400
        }
        String path = new QueryStringDecoder(request.uri()).path();
        if (!path.startsWith(API_PREFIX)) {
            // Probes, scrapes and unknown paths: no key, so no body either, or anyone could make the node buffer one.
            if (HttpUtil.getContentLength(request, 0L) > 0 || HttpUtil.isTransferEncodingChunked(request)) {
                refuse(ctx, HttpResponseStatus.BAD_REQUEST, "bad_request", "only /api calls take a request body");
                return false;
            }
            if (overCap) {
                HttpUtil.setKeepAlive(request, false); // answered, then closed: it holds no place past the cap
            }
            return true;
        }
        if (!authorized(request)) {
            refuse(
                    ctx,
                    HttpResponseStatus.UNAUTHORIZED,
                    "unauthorized",
                    "missing or wrong API key (Authorization: Bearer <api key>)");
            return false;
        }
        if (overCap) {
            metrics.limitHit(Limit.ADMIN_CONNECTIONS);
            refuse(
                    ctx,
                    HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "too_many_connections",
                    "more than " + maxConnections + " admin connections are open; retry later");
            return false;
        }
        return true;
    }

    private boolean authorized(HttpRequest request) {
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        byte[] presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? header.substring(7).trim().getBytes(StandardCharsets.UTF_8)
                : new byte[0];
        // Constant-time: the comparison must not tell an attacker how much of the key was right.
        return MessageDigest.isEqual(presented, apiKey);
    }

    /** Answers and closes; stops reading, so the rest of a refused body stays in the socket until the close. */
    private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String code, String message) {
        refused = true;
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(error(status, code, message)).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * An admin error answer that closes the connection: {@code {"error":code,"message":message}}, like the API's.
     * {@code code} and {@code message} are the gateway's own text, never the caller's, so they need no escaping.
     */
    static FullHttpResponse error(HttpResponseStatus status, String code, String message) {
        String body = "{\"error\":\"" + code + "\",\"message\":\"" + message + "\"}\n";
        FullHttpResponse r = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return r;
    }
}
