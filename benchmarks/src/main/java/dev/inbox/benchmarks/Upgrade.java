package dev.inbox.benchmarks;

import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.gateway.inbox.ConnectionHandler;
import dev.inbox.gateway.inbox.InboxEndpoint;
import dev.inbox.gateway.inbox.Keepalive;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.routing.EventLoops;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.routing.UserGroups;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.time.Duration;

/**
 * What the gateway does to a connection on a successful upgrade, for a sink's channel: Netty's WebSocket 13 decoder
 * and server encoder under the names the handshaker gives them, the {@link ConnectionHandler} (its keepalive never
 * pings here, since pings would land in the byte count; its endpoint drops what a sink reads), an
 * {@link InboxSession} joined into {@link UserGroups} and left on close.
 */
final class Upgrade {
    private Upgrade() {}

    /** A sink's messages are only read: each is released. */
    private static final InboxEndpoint DROP = new InboxEndpoint() {
        @Override
        public void start(InboxSession session) {}

        @Override
        public void message(InboxSession session, WebSocketFrame message) {
            message.release();
        }

        @Override
        public void closed(InboxSession session) {}
    };

    private static final ConnectionHandler.Policy POLICY = new ConnectionHandler.Policy(
            new Keepalive(Duration.ofDays(1), Duration.ofDays(2)), 65_536, Duration.ofSeconds(5), DROP);

    /** Upgrades {@code ch} for {@code userId}. On the channel's event loop. */
    static void upgrade(
            Channel ch,
            long userId,
            EventLoops loops,
            ServerFrameEncoder encoder,
            GatewayMetrics metrics,
            UserGroups groups) {
        InboxSession session = new InboxSession(
                ch,
                new AuthenticatedUser(userId, "user " + userId, null, Long.MAX_VALUE),
                loops.indexOf(ch.eventLoop()),
                encoder,
                metrics);
        ch.pipeline()
                .addLast(
                        "wsdecoder",
                        new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                                .maxFramePayloadLength(65_536)
                                .expectMaskedFrames(true)
                                .allowExtensions(false)
                                .build()))
                .addLast(InboxSession.FRAME_ENCODER, new WebSocket13FrameEncoder(false))
                .addLast("connection", new ConnectionHandler(POLICY, session));
        groups.join(session);
        ch.closeFuture().addListener(f -> groups.leave(session));
    }
}
