package dev.inbox.gateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

/**
 * Counts a socket against its TCP peer's sockets not yet upgraded ({@link ConnectionGate#enterPending}), from the
 * moment it is active until it is upgraded ({@link InboxChannelInitializer} removes this handler then) or closes.
 * A socket past the peer's bound is refused before any of its bytes is read: a fixed {@code 429 Too Many Requests}
 * with {@code Connection: close}, then the close. So one address cannot hold thousands of bare sockets for the whole
 * handshake timeout (issue 11: 19 900 of them, and "Too many open files" at 21 000).
 *
 * <p>Installed only when the TCP peer is the client: not with PROXY protocol, nor for a trusted proxy, whose
 * sockets carry many clients (those are still counted per client address once upgraded). One instance per
 * connection, first in its pipeline; event loop only.
 */
final class AddressPendingLimit extends ChannelInboundHandlerAdapter {
    private static final byte[] REFUSAL;

    static {
        String body = "{\"error\":\"too_many\",\"message\":\"too many connections from this address are still "
                + "handshaking; connect again later\"}\n";
        REFUSAL = ("HTTP/1.1 429 Too Many Requests\r\n"
                        + "Content-Type: application/json\r\n"
                        + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n"
                        + "Retry-After: 1\r\n"
                        + "Connection: close\r\n"
                        + "\r\n" + body)
                .getBytes(StandardCharsets.UTF_8);
    }

    private final ConnectionGate gate;
    private final InetAddress peer;
    /** Whether this socket holds one of the peer's slots. */
    private boolean counted;

    private boolean refused;

    AddressPendingLimit(ConnectionGate gate, InetAddress peer) {
        this.gate = gate;
        this.peer = peer;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (gate.enterPending(peer)) {
            counted = true;
            ctx.fireChannelActive();
            return;
        }
        refused = true;
        ByteBuf refusal = ctx.alloc().buffer(REFUSAL.length).writeBytes(REFUSAL);
        ctx.writeAndFlush(refusal).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            ReferenceCountUtil.release(msg); // answered already: nothing a refused socket sends is read
            return;
        }
        ctx.fireChannelRead(msg);
    }

    /** At the upgrade (removed from the pipeline) or at the close (the pipeline is torn down). */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (counted) {
            counted = false;
            gate.leavePending(peer);
        }
    }
}
