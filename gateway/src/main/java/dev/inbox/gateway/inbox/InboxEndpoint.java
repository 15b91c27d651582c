package dev.inbox.gateway.inbox;

import dev.inbox.gateway.routing.InboxSession;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * Where an upgraded connection's complete messages go: {@link ConnectionHandler} hands it each text or binary message
 * (a {@code TextWebSocketFrame} or {@code BinaryWebSocketFrame}) once it has decoded, UTF-8-checked and reassembled
 * it. Control frames, closes and protocol violations never reach it: {@link ConnectionHandler} answers those. Called
 * by that handler rather than being one of its own, since every handler costs each connection a pipeline context (64
 * bytes of every idle connection's heap, issue 18). One instance serves every connection, on each connection's event
 * loop.
 *
 * <p>In production this is {@link InboxFrameHandler}, which routes. The interface exists so that the conformance
 * test (the Autobahn|Testsuite, {@code AutobahnIT}) can put an echo here and test everything in front of it.
 */
public interface InboxEndpoint {
    /** Starts serving {@code session}; called once, on the channel's loop, right after the upgrade. */
    void start(InboxSession session);

    /** One complete message of {@code session}, which this must release; the channel's loop. */
    void message(InboxSession session, WebSocketFrame message);

    /** The connection is gone; called once, on the channel's loop, after {@link #start}. */
    void closed(InboxSession session);
}
