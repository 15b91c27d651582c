package dev.inbox.gateway.server;

import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.gateway.auth.Authenticator;
import dev.inbox.gateway.auth.ClientAddressResolver;
import dev.inbox.gateway.auth.ConnectHook;
import dev.inbox.gateway.auth.HandshakeHandler;
import dev.inbox.gateway.auth.OriginPolicy;
import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.demo.DemoFiles;
import dev.inbox.gateway.inbox.ConnectionHandler;
import dev.inbox.gateway.inbox.InboxEndpoint;
import dev.inbox.gateway.inbox.Keepalive;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.routing.EventLoops;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;

/**
 * The public pipeline, in wire order. Before the upgrade:
 * <pre>
 *   pending-limit  AddressPendingLimit     counts the socket per TCP peer until the upgrade, refuses one past the
 *                                          bound with 429 (not with --proxy-protocol, nor for a trusted proxy)
 *   proxy-protocol HAProxyMessageDecoder   with --proxy-protocol: the PROXY v1/v2 header; then removes itself
 *   proxy-address  ProxyProtocolHandler    records the client address it names; then removes itself
 *   http        HttpServerCodec          request line and headers (bounded)
 *   http-body   HttpObjectAggregator     a full request (an upgrade has no body)
 *   handshake   HandshakeHandler         404/405/426/403/401, or the upgrade; then removes itself (with a connect
 *                                        hook it may first ask the backend, not reading meanwhile); with
 *                                        --demo-page, answers a GET of the demo page's files (DemoFiles)
 * </pre>
 * The handshake swaps the HTTP codec for Netty's WebSocket frame decoder and encoder ({@code wsdecoder},
 * {@code wsencoder}: masks required, no extensions; its protocol violations, like frames over the maximum, reach
 * {@code ConnectionHandler}, which closes with the RFC 6455 code), then {@link #upgraded} adds the handler below;
 * once the 101 is written the encoder leaves and {@code ConnectionHandler} encodes in its place:
 * <pre>
 *   connection    ConnectionHandler         control frames and protocol violations (1002, 1007, 1009), UTF-8 and
 *                                           fragments, the keepalive (pings, 4000, 4501; one sweep per loop), the
 *                                           outbound bound (1013), and complete messages to the InboxEndpoint
 *                                           (InboxFrameHandler decodes and routes them), called, not a handler
 * </pre>
 * One handler, not six: each handler costs every connection a pipeline context.
 * Everything but the endpoint is fixed here; the endpoint is a parameter so that the conformance test can put an
 * echo behind this same pipeline ({@code AutobahnIT}). Outbound, events are complete WebSocket frames in a
 * {@code ByteBuf}, which the frame encoder passes through.
 */
final class InboxChannelInitializer extends ChannelInitializer<SocketChannel> {
    /** Request line and headers: a browser's upgrade request with cookies fits well inside this. */
    private static final int MAX_HEADER_BYTES = 16 * 1024;

    private static final int MAX_REQUEST_BODY_BYTES = 1024;

    private final GatewayConfig.Inbox limits;
    private final Authenticator authenticator;
    private final OriginPolicy origins;
    private final WebSocketDecoderConfig decoderConfig;
    private final InboxEndpoint endpoint;
    private final EventLoops loops;
    private final ServerFrameEncoder encoder;
    private final GatewayMetrics metrics;
    private final ConnectionHandler.Policy connectionPolicy;
    private final ConnectionGate gate;
    private final ClientAddressResolver addresses;
    private final boolean proxyProtocol;
    private final ConnectHook connectHook;
    /** The demo page's files, or null without --demo-page. */
    private final DemoFiles demo;

    InboxChannelInitializer(
            GatewayConfig.Inbox limits,
            Authenticator authenticator,
            OriginPolicy origins,
            InboxEndpoint endpoint,
            EventLoops loops,
            ServerFrameEncoder encoder,
            GatewayMetrics metrics,
            ConnectionGate gate,
            GatewayConfig.Listen listen,
            ConnectHook connectHook) {
        this.connectHook = connectHook;
        this.demo = listen.demoPage() ? DemoFiles.load() : null;
        this.metrics = metrics;
        this.gate = gate;
        this.addresses = new ClientAddressResolver(listen.trustedProxies());
        this.proxyProtocol = listen.proxyProtocol();
        this.limits = limits;
        this.connectionPolicy = new ConnectionHandler.Policy(
                new Keepalive(limits.pingInterval(), limits.idleTimeout()),
                limits.maxFrameBytes(),
                limits.slowConsumerGrace(),
                endpoint);
        this.authenticator = authenticator;
        this.origins = origins;
        this.endpoint = endpoint;
        this.loops = loops;
        this.encoder = encoder;
        this.decoderConfig = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(limits.maxFrameBytes())
                .expectMaskedFrames(true)
                .allowMaskMismatch(false)
                .allowExtensions(false)
                .closeOnProtocolViolation(
                        false) // ConnectionHandler answers with the RFC code, even for a bad close frame
                .withUTF8Validator(false) // ConnectionHandler checks text, without a handler of its own
                .build();
    }

    private static final String PENDING_LIMIT = "pending-limit";

    @Override
    protected void initChannel(SocketChannel ch) {
        // Behind a load balancer the TCP peer is the balancer, carrying every client: no per-peer count then.
        if (!proxyProtocol
                && ch.remoteAddress() != null
                && ch.remoteAddress().getAddress() != null
                && !addresses.isTrusted(ch.remoteAddress().getAddress())) {
            ch.pipeline()
                    .addLast(
                            PENDING_LIMIT,
                            new AddressPendingLimit(gate, ch.remoteAddress().getAddress()));
        }
        if (proxyProtocol) {
            ch.pipeline()
                    .addLast("proxy-protocol", new HAProxyMessageDecoder())
                    .addLast("proxy-address", new ProxyProtocolHandler());
        }
        ch.pipeline()
                .addLast("http", new HttpServerCodec(4096, MAX_HEADER_BYTES, 8192))
                .addLast("http-body", new HttpObjectAggregator(MAX_REQUEST_BODY_BYTES))
                .addLast(
                        "handshake",
                        new HandshakeHandler(
                                authenticator,
                                origins,
                                decoderConfig,
                                limits.handshakeTimeout(),
                                this::upgraded,
                                metrics,
                                gate,
                                addresses,
                                connectHook,
                                demo));
    }

    private void upgraded(Channel ch, AuthenticatedUser user) {
        // Upgraded: counted per client address from now on (ConnectionGate.admit), no longer as a pending socket.
        if (ch.pipeline().get(PENDING_LIMIT) != null) {
            ch.pipeline().remove(PENDING_LIMIT);
        }
        InboxSession session = new InboxSession(ch, user, loops.indexOf(ch.eventLoop()), encoder, metrics);
        ch.pipeline().addLast("connection", new ConnectionHandler(connectionPolicy, session));
        endpoint.start(session);
    }
}
