package dev.inbox.gateway.inbox;

import dev.inbox.gateway.metrics.FrameKind;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.protocol.CloseCode;
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
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket protocol side of an upgraded connection, in front of its {@link InboxEndpoint}: pings are answered
 * (not while the connection is over its outbound bound), pongs dropped, a close is echoed (RFC 6455 §5.5.1), and every protocol violation the decoder, the UTF-8 validator
 * or the aggregator reports closes the connection with the RFC 6455 §7.4.1 code (1002, 1007, 1009), once. Complete
 * text and binary messages go on to the endpoint; once this side is closing, nothing does.
 *
 * <p>Stateless apart from the connection's {@link InboxSession} attribute: one {@code @Sharable} instance.
 */
@ChannelHandler.Sharable
public final class ControlFrameHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ControlFrameHandler.class);

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        InboxSession session = ctx.channel().attr(InboxSession.KEY).get();
        if (session == null || session.isClosing()) {
            // After a close frame nothing more is processed (RFC 6455 §5.5.1), but the client's own close frame
            // completes a handshake this side started.
            if (session != null && msg instanceof CloseWebSocketFrame) {
                session.closeReceived(-1);
            }
            ReferenceCountUtil.release(msg);
            return;
        }
        session.countIn();
        if (msg instanceof TextWebSocketFrame) {
            session.metrics().frameReceived(FrameKind.TEXT);
            ctx.fireChannelRead(msg);
        } else if (msg instanceof BinaryWebSocketFrame) {
            session.metrics().frameReceived(FrameKind.BINARY);
            ctx.fireChannelRead(msg);
        } else {
            try {
                if (msg instanceof PingWebSocketFrame ping) {
                    session.metrics().frameReceived(FrameKind.PING);
                    if (ctx.channel().isWritable()) {
                        ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()), ctx.voidPromise());
                    }
                    // Else over the outbound bound, and reading stops: the pong is not owed yet, since an endpoint
                    // may answer only the latest of several pings (RFC 6455 §5.5.3).
                } else if (msg instanceof CloseWebSocketFrame close) {
                    session.metrics().frameReceived(FrameKind.CLOSE);
                    session.closeReceived(close.statusCode());
                } else if (msg instanceof PongWebSocketFrame) {
                    session.metrics().frameReceived(FrameKind.PONG); // the keepalive has seen it already
                }
                // Nothing else gets past the aggregator.
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        InboxSession session = ctx.channel().attr(InboxSession.KEY).get();
        if (cause instanceof CorruptedWebSocketFrameException c) {
            // A protocol violation found by the frame decoder or the UTF-8 validator: answer with the code RFC 6455
            // §7.4.1 prescribes (1002, 1007, 1009) and close. The decoder is configured not to answer itself: it
            // would close without any close frame after a malformed close frame.
            if (session == null
                    || !session.fail(c.closeStatus().code(), c.closeStatus().reasonText())) {
                ctx.close();
            }
            log.debug("protocol violation on {}: {}", ctx.channel(), cause.getMessage());
            return;
        }
        if (!ctx.channel().isActive()
                || (session != null && session.isClosing() && !(cause instanceof TooLongFrameException))) {
            // Already closing: a half-reassembled message cut off by the close, a write to a closed socket.
            log.debug("error on closing {}: {}", ctx.channel(), cause.toString());
            return;
        }
        if (cause instanceof TooLongFrameException) {
            // The aggregator's limit on a fragmented message: same rule as one big frame.
            if (session == null
                    || !session.fail(CloseCode.MESSAGE_TOO_BIG.code(), CloseCode.MESSAGE_TOO_BIG.reason())) {
                ctx.close();
            }
        } else if (cause instanceof CorruptedFrameException) {
            // A codec that answers by itself has already sent 1002/1007/1009 and is closing.
            if (session != null) {
                session.markClosing();
            }
            log.debug("protocol violation on {}: {}", ctx.channel(), cause.getMessage());
        } else if (cause instanceof IOException) {
            log.debug("I/O error on {}: {}", ctx.channel(), cause.getMessage());
            ctx.close();
        } else {
            log.warn("unexpected error on {}; closing with 1011", ctx.channel(), cause);
            close(ctx, session, CloseCode.SERVER_ERROR);
        }
    }

    private static void close(ChannelHandlerContext ctx, InboxSession session, CloseCode code) {
        if (session != null) {
            session.close(code);
        } else {
            ctx.close();
        }
    }
}
