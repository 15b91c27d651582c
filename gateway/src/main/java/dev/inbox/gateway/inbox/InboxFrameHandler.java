package dev.inbox.gateway.inbox;

import dev.inbox.gateway.auth.HandshakeHandler;
import dev.inbox.gateway.metrics.Limit;
import dev.inbox.gateway.routing.ConversationRouter;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.routing.UserGroups;
import dev.inbox.protocol.ClientMessage;
import dev.inbox.protocol.ClientMessageDecoder;
import dev.inbox.protocol.CloseCode;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.ProtocolException;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production {@link InboxEndpoint}: the router's side of an upgraded connection. Text messages (already
 * reassembled and UTF-8-checked) are decoded and routed ({@code HISTORY} requests to {@link HistoryRequests}); a bad one gets an {@code ERROR} and the connection stays
 * open. Binary messages get {@code binary_not_supported}. A connection that keeps sending past the rate limit is
 * closed with 1008; when the user's token expires, with 4501. Control frames and protocol violations are
 * {@link ConnectionHandler}'s.
 *
 * <p>Stateless apart from the connection's {@link InboxSession} attribute: one {@code @Sharable} instance.
 */
@ChannelHandler.Sharable
public final class InboxFrameHandler extends ChannelInboundHandlerAdapter implements InboxEndpoint {
    private static final Logger log = LoggerFactory.getLogger(InboxFrameHandler.class);

    private final ClientMessageDecoder decoder;
    private final ConversationRouter router;
    private final UserGroups groups;
    private final int messagesPerSecond;
    private final int messageBurst;
    private final Resumer resumer;
    private final HistoryRequests history;

    /**
     * @param messagesPerSecond each connection's sustained message rate
     * @param messageBurst      messages at once; refused this many times in a row, the connection is closed (1008)
     * @param history           answers {@code HISTORY} frames
     */
    public InboxFrameHandler(
            ClientMessageDecoder decoder,
            ConversationRouter router,
            UserGroups groups,
            int messagesPerSecond,
            int messageBurst,
            HistoryRequests history,
            Resumer resumer) {
        this.history = history;
        this.resumer = resumer;
        this.decoder = decoder;
        this.router = router;
        this.groups = groups;
        this.messagesPerSecond = messagesPerSecond;
        this.messageBurst = messageBurst;
    }

    /** Joins the session's user group; the keepalive handler closes it when the token expires. */
    @Override
    public void start(InboxSession session) {
        if (session.channel().hasAttr(HandshakeHandler.RESUME_REQUESTED)) {
            session.startHolding(); // before the join: no live event may slip past the hold (see Resumer)
        }
        groups.join(session);
        AccessLog.opened(session);
    }

    /** The connection is gone: its user's group lets go of it, and the access log has its last line. */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        InboxSession session = ctx.channel().attr(InboxSession.KEY).get();
        if (session != null) {
            groups.leave(session);
            session.stopHolding().forEach(io.netty.buffer.ByteBuf::release);
            AccessLog.closed(session);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        InboxSession session = ctx.channel().attr(InboxSession.KEY).get();
        try {
            if (msg instanceof TextWebSocketFrame text) {
                onText(session, text);
            } else if (msg instanceof BinaryWebSocketFrame) {
                session.sendError(
                        ErrorCode.BINARY_NOT_SUPPORTED, "binary frames are not supported; send JSON text", 0, null);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onText(InboxSession session, TextWebSocketFrame frame) {
        // Every text frame spends a token, well-formed or not: a flood of garbage is a flood.
        boolean allowed = session.tryTakeMessage(messagesPerSecond, messageBurst);
        if (!allowed && session.refusedInRow() >= messageBurst) {
            session.metrics().limitHit(Limit.FLOOD_CLOSE);
            session.close(CloseCode.POLICY_VIOLATION);
            return;
        }
        if (session.channel().attr(HandshakeHandler.RESUME_REQUESTED).getAndSet(null) != null) {
            resumer.resume(session, frame.content()); // the first frame of a connection opened with ?resume=1
            return;
        }
        ClientMessage message;
        try {
            message = decoder.decode(frame.content());
        } catch (ProtocolException e) {
            session.sendError(
                    allowed ? e.code() : ErrorCode.RATE_LIMITED,
                    allowed ? e.getMessage() : "rate limit: at most " + messagesPerSecond + " messages a second",
                    e.conversationId(),
                    e.clientMsgId());
            return;
        }
        if (!allowed) {
            session.metrics().limitHit(Limit.RATE);
            session.sendError(
                    ErrorCode.RATE_LIMITED,
                    "rate limit: at most " + messagesPerSecond + " messages a second; this one was not delivered",
                    message.conversationId(),
                    message.clientMsgId());
            return;
        }
        if (message.isHistoryRequest()) {
            history.answer(session, message);
            return;
        }
        router.route(session, message);
    }

    /** Only this handler's own failures get here: the ones in front of it are answered by {@link ConnectionHandler}. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("unexpected error on {}; closing with 1011", ctx.channel(), cause);
        InboxSession session = ctx.channel().attr(InboxSession.KEY).get();
        if (session != null) {
            session.close(CloseCode.SERVER_ERROR);
        } else {
            ctx.close();
        }
    }
}
