package dev.inbox.gateway.inbox;

import dev.inbox.gateway.routing.InboxSession;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * An endpoint for {@code EmbeddedChannel} tests of what {@link ConnectionHandler} lets through: each complete message
 * goes on past the handler, to the channel's inbound queue ({@code readInbound()}), as it would to a next handler.
 */
final class PassOnEndpoint implements InboxEndpoint {
    static final PassOnEndpoint INSTANCE = new PassOnEndpoint();

    private PassOnEndpoint() {}

    @Override
    public void start(InboxSession session) {}

    @Override
    public void message(InboxSession session, WebSocketFrame message) {
        session.channel().pipeline().context(ConnectionHandler.class).fireChannelRead(message);
    }

    @Override
    public void closed(InboxSession session) {}
}
