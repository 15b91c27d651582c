package dev.inbox.gateway.inbox;

import dev.inbox.gateway.metrics.FrameKind;
import dev.inbox.gateway.metrics.Limit;
import dev.inbox.gateway.routing.ConversationRouter;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.routing.UserGroups;
import dev.inbox.protocol.ClientMessage;
import dev.inbox.protocol.ClientMessageDecoder;
import dev.inbox.protocol.CloseCode;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.ProtocolException;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * The last inbound handler of an upgraded connection. Text frames (already reassembled and UTF-8-checked) are
 * decoded and routed; a bad one gets an {@code ERROR} and the connection stays open. Binary frames get
 * {@code binary_not_supported}. Pings are answered; a close is echoed (RFC 6455 §5.5.1). A message over the maximum
 * closes with 1009. When the user's token expires, the connection is closed with 4501.
 *
 * <p>Stateless apart from the connection's {@link InboxSession} attribute: one {@code @Sharable} instance.
 */
@ChannelHandler.Sharable
public final class InboxFrameHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(InboxFrameHandler.class);

    private final ClientMessageDecoder decoder;
    private final ConversationRouter router;
    private final UserGroups groups;
    private final int messagesPerSecond;
    private final int messageBurst;

    public InboxFrameHandler(ClientMessageDecoder decoder, ConversationRouter router, UserGroups groups) {
        this(decoder, router, groups, Integer.MAX_VALUE / 2, Integer.MAX_VALUE / 2);
    }

    /**
     * @param messagesPerSecond each connection's sustained message rate
     * @param messageBurst      messages at once; refused this many times in a row, the connection is closed (1008)
     */
    public InboxFrameHandler(ClientMessageDecoder decoder, ConversationRouter router, UserGroups groups,
                             int messagesPerSecond, int messageBurst) {
        this.decoder = decoder;
        this.router = router;
        this.groups = groups;
        this.messagesPerSecond = messagesPerSecond;
        this.messageBurst = messageBurst;
    }

    /**
     * Starts serving {@code session}: joins its user's group and arms the token-expiry close. Called once, on the
     * channel's loop, right after the upgrade.
     */
    public void start(InboxSession session) {
        groups.join(session);
        AccessLog.opened(session);
        session.channel().closeFuture().addListener(f -> AccessLog.closed(session));
        long untilExpiry = session.user().expiresAtMillis() - System.currentTimeMillis();
        if (session.user().expiresAtMillis() != Long.MAX_VALUE) {
            ScheduledFuture<?> expiry = session.channel().eventLoop().schedule(
                    () -> session.close(CloseCode.TOKEN_EXPIRED), Math.max(0, untilExpiry), TimeUnit.MILLISECONDS);
            session.channel().closeFuture().addListener(f -> expiry.cancel(false));
        }
        session.channel().closeFuture().addListener(f -> groups.leave(session));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        InboxSession session = ctx.channel().attr(InboxSession.KEY).get();
        try {
            if (session == null || session.isClosing()) {
                return; // after our close frame nothing more is processed (RFC 6455 §5.5.1)
            }
            session.countIn();
            if (msg instanceof TextWebSocketFrame text) {
                session.metrics().frameReceived(FrameKind.TEXT);
                onText(session, text);
            } else if (msg instanceof BinaryWebSocketFrame) {
                session.metrics().frameReceived(FrameKind.BINARY);
                session.sendError(ErrorCode.BINARY_NOT_SUPPORTED, "binary frames are not supported; send JSON text",
                        0, null);
            } else if (msg instanceof PingWebSocketFrame ping) {
                session.metrics().frameReceived(FrameKind.PING);
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()), ctx.voidPromise());
            } else if (msg instanceof CloseWebSocketFrame close) {
                session.metrics().frameReceived(FrameKind.CLOSE);
                onClose(ctx, session, close);
            } else if (msg instanceof PongWebSocketFrame) {
                session.metrics().frameReceived(FrameKind.PONG);
            }
            // Pongs only refresh the keepalive, which has seen them already; anything else is dropped.
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
        ClientMessage message;
        try {
            message = decoder.decode(frame.content());
        } catch (ProtocolException e) {
            session.sendError(allowed ? e.code() : ErrorCode.RATE_LIMITED,
                    allowed ? e.getMessage() : "rate limit: at most " + messagesPerSecond + " messages a second",
                    e.conversationId(), e.clientMsgId());
            return;
        }
        if (!allowed) {
            session.metrics().limitHit(Limit.RATE);
            session.sendError(ErrorCode.RATE_LIMITED, "rate limit: at most " + messagesPerSecond
                    + " messages a second; this one was not delivered", message.conversationId(), message.clientMsgId());
            return;
        }
        router.route(session, message);
    }

    private static void onClose(ChannelHandlerContext ctx, InboxSession session, CloseWebSocketFrame close) {
        session.markClosing();
        int code = close.statusCode();
        session.metrics().closeReceived(code);
        session.closeCode(code < 0 ? 1005 : code); // 1005: no status received (RFC 6455 §7.4.1)
        if (code >= 0) {
            session.metrics().closeSent(code);
        }
        // Echo the peer's code, or an empty close when it sent none (RFC 6455 §5.5.1).
        CloseWebSocketFrame echo = code < 0 ? new CloseWebSocketFrame() : new CloseWebSocketFrame(code, "");
        ctx.writeAndFlush(echo).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        InboxSession session = ctx.channel().attr(InboxSession.KEY).get();
        if (cause instanceof CorruptedWebSocketFrameException c) {
            // A protocol violation found by the frame decoder or the UTF-8 validator: answer with the code RFC 6455
            // §7.4.1 prescribes (1002, 1007, 1009) and close. The decoder is configured not to answer itself: it
            // would close without any close frame after a malformed close frame.
            if (session != null && !session.isClosing() && ctx.channel().isActive()) {
                session.markClosing();
                session.closeCode(c.closeStatus().code());
                session.metrics().closeSent(c.closeStatus().code());
                ctx.writeAndFlush(new CloseWebSocketFrame(c.closeStatus().code(), c.closeStatus().reasonText()))
                        .addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.close();
            }
            log.debug("protocol violation on {}: {}", ctx.channel(), cause.getMessage());
            return;
        }
        if (!ctx.channel().isActive() || (session != null && session.isClosing() && !(cause instanceof TooLongFrameException))) {
            // Already closing: a half-reassembled message cut off by the close, a write to a closed socket.
            log.debug("error on closing {}: {}", ctx.channel(), cause.toString());
            return;
        }
        if (cause instanceof TooLongFrameException) {
            // The aggregator's limit on a fragmented message: same rule as one big frame.
            if (session != null) {
                session.close(CloseCode.MESSAGE_TOO_BIG);
            } else {
                ctx.close();
            }
        } else if (cause instanceof CorruptedFrameException) {
            // The WebSocket decoder or UTF-8 validator has already sent 1002/1007/1009 and is closing.
            if (session != null) {
                session.markClosing();
            }
            log.debug("protocol violation on {}: {}", ctx.channel(), cause.getMessage());
        } else if (cause instanceof IOException) {
            log.debug("I/O error on {}: {}", ctx.channel(), cause.getMessage());
            ctx.close();
        } else {
            log.warn("unexpected error on {}; closing with 1011", ctx.channel(), cause);
            if (session != null) {
                session.close(CloseCode.SERVER_ERROR);
            } else {
                ctx.close();
            }
        }
    }
}
