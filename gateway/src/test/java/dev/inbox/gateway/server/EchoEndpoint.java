package dev.inbox.gateway.server;

import dev.inbox.gateway.inbox.InboxEndpoint;
import dev.inbox.gateway.routing.InboxSession;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * What the Autobahn|Testsuite expects behind the pipeline it tests: every text and binary message sent back as it
 * came, as one frame. It stands in for {@code InboxFrameHandler}, the only part {@link AutobahnIT} replaces; the
 * decoder, UTF-8 validation, reassembly, keepalive, pings and closes in front of it are the production ones.
 */
final class EchoEndpoint implements InboxEndpoint {
    @Override
    public void start(InboxSession session) {
        // No user group to join: nothing is routed.
    }

    @Override
    public void message(InboxSession session, WebSocketFrame message) {
        // The reassembled message: one final frame, no RSV bits. The encoder releases it.
        session.channel().writeAndFlush(message, session.channel().voidPromise());
    }

    @Override
    public void closed(InboxSession session) {}
}
