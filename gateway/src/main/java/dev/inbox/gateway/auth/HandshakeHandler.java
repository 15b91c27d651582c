package dev.inbox.gateway.auth;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.inbox.gateway.demo.DemoFiles;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.metrics.HandshakeOutcome;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public port's HTTP phase: every request is either upgraded to the inbox WebSocket or answered with an error
 * and closed. With the demo page on, a plain GET of one of its files is answered with the file ({@link DemoFiles}).
 * In order: a path other than {@code /ws/inbox/} (or {@code /ws/inbox}) gets 404; a method other than
 * GET 405; a request without {@code Upgrade: websocket} 426; an {@code Origin} off the allow-list 403; a missing or
 * bad credential 401; an unsupported WebSocket version 426 with the supported one. A connection that has not sent
 * a complete request within the handshake timeout gets 408. On success the handshake is answered with the
 * {@code inbox.v1} subprotocol, the {@link UpgradeListener} installs the inbox handlers, and this handler is gone.
 *
 * <p>With a {@link ConnectHook}, a request that brings no credential at all is the backend's to decide, after the
 * Origin check (a forbidden origin costs the backend nothing). The event loop does not wait: the connection stops
 * reading, the request is kept, and the answer comes back to this loop, where the upgrade goes on with the same
 * checks as after a token (per-user and per-address limits), or ends with the backend's 401 or 403, or 503. The
 * handshake timeout still applies: if it fires first, the answer is dropped.
 *
 * <p>The query string, cookies and Authorization are never logged: they may hold credentials.
 */
public final class HandshakeHandler extends ChannelInboundHandlerAdapter {
    /** Set on a connection opened with {@code ?resume=1}: its first frame is a RESUME (docs/protocol.md). */
    public static final io.netty.util.AttributeKey<Boolean> RESUME_REQUESTED =
            io.netty.util.AttributeKey.valueOf("inbox.resume");

    private static final Logger log = LoggerFactory.getLogger(HandshakeHandler.class);

    public static final String PATH = "/ws/inbox";
    private static final String PATH_SLASH = "/ws/inbox/";

    private final Authenticator authenticator;
    private final OriginPolicy origins;
    private final WebSocketDecoderConfig decoderConfig;
    private final Duration timeout;
    private final UpgradeListener listener;
    private final GatewayMetrics metrics;
    private final HandshakeGate gate;
    private final ClientAddressResolver addresses;
    /** Asks the backend about requests without a credential, or {@code null} when there is no connect hook. */
    private final ConnectHook connectHook;
    /** The demo page and the browser client, answered to plain GETs, or {@code null} without --demo-page. */
    private final DemoFiles demo;
    /**
     * The upgrade request kept (one reference held) while the connect hook is asked, or {@code null}: released when
     * the answer comes, when the deadline fires first, or when the connection closes meanwhile. Event loop only.
     */
    private FullHttpRequest waiting;
    /** The handshake deadline; event loop only. */
    private ScheduledFuture<?> deadline;
    /**
     * Set once a response other than the 101 is on its way (the connection closes after it): anything read after
     * that, such as the half-read request the HTTP decoder hands up as failed when the connection closes, is
     * neither answered nor counted again. Event loop only.
     */
    private boolean answered;

    /**
     * @param gate      the node's limits: draining, capacity, per-address and per-user connections
     * @param addresses who the client is behind proxies
     * @param connectHook asks the backend about requests without a credential, or {@code null}
     * @param demo      the demo page's files, or {@code null} when the public port serves only the WebSocket
     */
    public HandshakeHandler(
            Authenticator authenticator,
            OriginPolicy origins,
            WebSocketDecoderConfig decoderConfig,
            Duration timeout,
            UpgradeListener listener,
            GatewayMetrics metrics,
            HandshakeGate gate,
            ClientAddressResolver addresses,
            ConnectHook connectHook,
            DemoFiles demo) {
        this.connectHook = connectHook;
        this.demo = demo;
        this.gate = gate;
        this.addresses = addresses;
        this.metrics = metrics;
        this.authenticator = authenticator;
        this.origins = origins;
        this.decoderConfig = decoderConfig;
        this.timeout = timeout;
        this.listener = listener;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        deadline = ctx.executor()
                .schedule(
                        () -> {
                            if (ctx.channel().isActive() && !answered) {
                                metrics.handshake(HandshakeOutcome.TIMEOUT);
                                String message = waiting == null
                                        ? "no complete upgrade request within " + timeout.toMillis() + " ms"
                                        : "the upgrade was not completed within " + timeout.toMillis() + " ms";
                                releaseWaiting(); // the backend's answer, when it comes, is dropped
                                reject(ctx, HttpResponseStatus.REQUEST_TIMEOUT, "handshake_timeout", message);
                            }
                        },
                        timeout.toNanos(),
                        TimeUnit.NANOSECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
        releaseWaiting(); // closed while the connect hook was asked: nothing will take the request now
    }

    private void releaseWaiting() {
        if (waiting != null) {
            waiting.release();
            waiting = null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request) || answered || waiting != null) {
            // Bytes a client sent before the 101 it must wait for (RFC 6455 §4.1), or anything after our answer, or
            // a second request while the first is with the connect hook.
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            handle(ctx, request);
        } finally {
            request.release();
        }
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            metrics.handshake(HandshakeOutcome.BAD_REQUEST);
            reject(ctx, HttpResponseStatus.BAD_REQUEST, "bad_request", "malformed HTTP request");
            return;
        }
        QueryStringDecoder query = new QueryStringDecoder(request.uri());
        String path = query.path();
        if (demo != null
                && HttpMethod.GET.equals(request.method())
                && !request.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            FullHttpResponse file = demo.answer(path);
            if (file != null) {
                send(ctx, file); // then closed, like every answer here: a page is three small requests
                return;
            }
        }
        if (!PATH.equals(path) && !PATH_SLASH.equals(path)) {
            metrics.handshake(HandshakeOutcome.NOT_FOUND);
            reject(ctx, HttpResponseStatus.NOT_FOUND, "not_found", "the only endpoint here is " + PATH_SLASH);
            return;
        }
        if (!HttpMethod.GET.equals(request.method())) {
            metrics.handshake(HandshakeOutcome.METHOD_NOT_ALLOWED);
            FullHttpResponse r = response(
                    HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    PATH_SLASH + " accepts GET with a WebSocket upgrade");
            r.headers().set(HttpHeaderNames.ALLOW, "GET");
            send(ctx, r);
            return;
        }
        if (!request.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            metrics.handshake(HandshakeOutcome.UPGRADE_REQUIRED);
            FullHttpResponse r = response(
                    HttpResponseStatus.UPGRADE_REQUIRED,
                    "upgrade_required",
                    PATH_SLASH + " is a WebSocket endpoint: connect with a WebSocket client");
            r.headers().set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
            r.headers().set(HttpHeaderNames.CONNECTION, "upgrade, close");
            send(ctx, r);
            return;
        }
        InetAddress client = addresses.resolve(ctx.channel(), request.headers());
        ctx.channel().attr(ClientAddressResolver.CLIENT).set(client);
        java.util.List<String> resume = query.parameters().get("resume");
        if (resume != null && resume.contains("1")) {
            ctx.channel().attr(RESUME_REQUESTED).set(Boolean.TRUE);
        }
        HandshakeGate.Refusal early = gate.beforeAuthentication(ctx.channel(), client);
        if (early != null) {
            refuse(ctx, early);
            return;
        }
        if (!origins.allows(request.headers().get(HttpHeaderNames.ORIGIN))) {
            metrics.handshake(HandshakeOutcome.FORBIDDEN_ORIGIN);
            reject(ctx, HttpResponseStatus.FORBIDDEN, "forbidden_origin", "origin not allowed");
            return;
        }
        if (connectHook != null && authenticator.bringsNoCredential(request, query)) {
            ask(ctx, request, client, path);
            return;
        }
        AuthenticatedUser user;
        try {
            user = authenticator.authenticate(request, query);
        } catch (AuthenticationException e) {
            unauthorized(ctx, e.getMessage());
            return;
        }
        if (user.expiresAtMillis() <= System.currentTimeMillis()) {
            // Within the verifier's clock-skew allowance, but already expired: it would be closed (4501) at once.
            unauthorized(ctx, "token expired");
            return;
        }
        admitAndUpgrade(ctx, request, client, user);
    }

    /** The checks after authentication, then the upgrade. */
    private void admitAndUpgrade(
            ChannelHandlerContext ctx, FullHttpRequest request, InetAddress client, AuthenticatedUser user) {
        HandshakeGate.Refusal late = gate.admit(ctx.channel(), client, user);
        if (late != null) {
            refuse(ctx, late);
            return;
        }
        upgrade(ctx, request, user);
    }

    /**
     * Hands the request to the connect hook without waiting for it: the connection stops reading (a client must wait
     * for the 101 anyway) and the request is kept until {@link #decided} runs on this loop.
     */
    private void ask(ChannelHandlerContext ctx, FullHttpRequest request, InetAddress client, String path) {
        ctx.channel().config().setAutoRead(false);
        waiting = request.retain();
        connectHook.ask(request.headers(), client, path).whenComplete((verdict, failure) -> {
            ConnectHook.Verdict v = failure == null ? verdict : new ConnectHook.Unavailable(failure.toString());
            try {
                ctx.executor().execute(() -> decided(ctx, client, v));
            } catch (RejectedExecutionException e) {
                // The loop is shutting down: the channel closes with it, and handlerRemoved releases the request.
            }
        });
    }

    /** The connect hook's answer, on this connection's loop. */
    private void decided(ChannelHandlerContext ctx, InetAddress client, ConnectHook.Verdict verdict) {
        FullHttpRequest request = waiting;
        if (request == null || answered) {
            return; // the connection closed or timed out meanwhile
        }
        waiting = null;
        try {
            if (verdict instanceof ConnectHook.SignedIn signedIn) {
                // Reading resumes on a later loop iteration, past the upgrade: frames reach the WebSocket handlers,
                // and after a refusal anything read is dropped (answered).
                ctx.channel().config().setAutoRead(true);
                admitAndUpgrade(ctx, request, client, signedIn.user());
            } else if (verdict instanceof ConnectHook.Refused refused && refused.status() == 403) {
                metrics.handshake(HandshakeOutcome.FORBIDDEN);
                reject(ctx, HttpResponseStatus.FORBIDDEN, "forbidden", "the backend refused this user");
            } else if (verdict instanceof ConnectHook.Refused) {
                unauthorized(ctx, "the backend did not recognise this session");
            } else {
                ConnectHook.Unavailable unavailable = (ConnectHook.Unavailable) verdict;
                log.debug("connect hook gave no user for {}: {}", ctx.channel(), unavailable.reason());
                refuse(
                        ctx,
                        new HandshakeGate.Refusal(
                                HttpResponseStatus.SERVICE_UNAVAILABLE,
                                "backend_unavailable",
                                "the backend cannot sign this session in now; connect again",
                                HandshakeOutcome.BACKEND_UNAVAILABLE));
            }
        } finally {
            request.release();
        }
    }

    private void refuse(ChannelHandlerContext ctx, HandshakeGate.Refusal refusal) {
        metrics.handshake(refusal.outcome());
        FullHttpResponse r = response(refusal.status(), refusal.code(), refusal.message());
        r.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
        send(ctx, r);
    }

    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest request, AuthenticatedUser user) {
        String url = "ws://" + request.headers().get(HttpHeaderNames.HOST, "localhost") + PATH_SLASH;
        WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(
                        url, Authenticator.SUBPROTOCOL, decoderConfig)
                .newHandshaker(request);
        // Only RFC 6455 (version 13): without Sec-WebSocket-Version Netty would fall back to the pre-RFC draft-00.
        if (handshaker == null || handshaker.version() != WebSocketVersion.V13) {
            metrics.handshake(HandshakeOutcome.UPGRADE_REQUIRED);
            answered = true;
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel())
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        HttpHeaders headers = new DefaultHttpHeaders();
        if (!request.headers().contains(HttpHeaderNames.SEC_WEBSOCKET_KEY)) {
            metrics.handshake(HandshakeOutcome.BAD_REQUEST);
            reject(ctx, HttpResponseStatus.BAD_REQUEST, "bad_request", "missing Sec-WebSocket-Key (RFC 6455 §4.2.1)");
            return;
        }
        // The connection joins its user's group before the 101 is written, not when the write completes: a client
        // holding its 101 must get every message admitted after it, however late the write's listener runs. Frames
        // queued meanwhile go out after the 101, on this same loop.
        listener.upgraded(ctx.channel(), user);
        String uri = request.uri();
        HttpHeaders requestHeaders = request.headers();
        try {
            handshaker
                    .handshake(ctx.channel(), request, headers, ctx.newPromise())
                    .addListener(f -> {
                        if (f.isSuccess()) {
                            metrics.handshake(HandshakeOutcome.OK);
                            // The 101 is written and the HTTP codec gone: the WebSocket handlers may take over.
                            ctx.channel()
                                    .pipeline()
                                    .fireUserEventTriggered(new WebSocketServerProtocolHandler.HandshakeComplete(
                                            uri, requestHeaders, handshaker.selectedSubprotocol()));
                        } else {
                            log.debug("handshake failed on {}", ctx.channel(), f.cause());
                            ctx.close();
                        }
                    });
        } catch (WebSocketServerHandshakeException e) {
            metrics.handshake(HandshakeOutcome.BAD_REQUEST);
            // A malformed upgrade, such as a missing Sec-WebSocket-Key (RFC 6455 §4.2.1): 400, not a silent close.
            reject(ctx, HttpResponseStatus.BAD_REQUEST, "bad_request", e.getMessage());
            return;
        }
        ctx.pipeline().remove(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("closing {} during the handshake", ctx.channel(), cause);
        ctx.close();
    }

    private void unauthorized(ChannelHandlerContext ctx, String message) {
        metrics.handshake(HandshakeOutcome.UNAUTHORIZED);
        FullHttpResponse r = response(HttpResponseStatus.UNAUTHORIZED, "unauthorized", message);
        r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        send(ctx, r);
    }

    private void reject(ChannelHandlerContext ctx, HttpResponseStatus status, String code, String message) {
        send(ctx, response(status, code, message));
    }

    private static FullHttpResponse response(HttpResponseStatus status, String code, String message) {
        String body = "{\"error\":\"" + code + "\",\"message\":\""
                + new String(JsonStringEncoder.getInstance().quoteAsString(message)) + "\"}\n";
        FullHttpResponse r = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return r;
    }

    private void send(ChannelHandlerContext ctx, FullHttpResponse response) {
        answered = true;
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
}
