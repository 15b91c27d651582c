package dev.inbox.gateway.inbox;

import dev.inbox.gateway.routing.InboxSession;
import io.netty.channel.ChannelHandler;

/**
 * The last handler of an upgraded connection: it is given each complete text or binary message (a
 * {@code TextWebSocketFrame} or {@code BinaryWebSocketFrame}, which it must release), after the production handlers
 * in front of it have decoded, UTF-8-checked and reassembled it. Control frames, closes and protocol violations never
 * reach it: {@link ConnectionHandler} answers those. One instance serves every connection, so it is
 * {@code @Sharable}.
 *
 * <p>In production this is {@link InboxFrameHandler}, which routes. The interface exists so that the conformance
 * test (the Autobahn|Testsuite, {@code AutobahnIT}) can put an echo here and test everything in front of it.
 */
public interface InboxEndpoint extends ChannelHandler {
    /** Starts serving {@code session}; called once, on the channel's loop, right after the upgrade. */
    void start(InboxSession session);
}
