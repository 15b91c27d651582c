package dev.inbox.gateway.hook;

import dev.inbox.gateway.metrics.HookOutcome;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;

/**
 * The last handler of one kept-alive connection to a hook: it carries one call at a time and reads that call's
 * answer, status and body, up to {@link HookClient#MAX_RESPONSE_BYTES}. Past the bound, on a broken answer, or when
 * the connection ends first, the call fails and the connection is closed (it cannot be reused with an answer half
 * read); an answer read whole gives the connection back to its loop's idle ones unless the backend asked to close
 * it. Event-loop confined, like its channel.
 */
final class HookConnection extends ChannelInboundHandlerAdapter {
    private final HookClient client;
    /** Which of the client's loops this connection belongs to, for going back to that loop's idle ones. */
    final int loopIndex;

    private HookCall call;
    private int status;
    private boolean keepAlive;
    /** The answer's body so far; {@code null} until it has a byte (a 204 allocates none). */
    private ByteArrayOutputStream body;

    HookConnection(HookClient client, int loopIndex) {
        this.client = client;
        this.loopIndex = loopIndex;
    }

    /** Starts carrying {@code c}; its request is written by the caller. */
    void carry(HookCall c) {
        call = c;
        status = 0;
        keepAlive = false;
        body = null;
    }

    boolean idle() {
        return call == null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            read(ctx, msg);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void read(ChannelHandlerContext ctx, Object msg) {
        if (call == null || call.ended) {
            // Bytes nobody asked for, or the rest of an answer given up on (timed out): the connection is unusable.
            call = null;
            ctx.close();
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (response.decoderResult().isFailure()) {
                malformed(ctx, "not an HTTP answer");
                return;
            }
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                return; // an interim answer (100 Continue): the real one follows
            }
            status = response.status().code();
            keepAlive = HttpUtil.isKeepAlive(response);
        }
        if (msg instanceof HttpContent content) {
            if (content.decoderResult().isFailure()) {
                malformed(ctx, "a broken answer body");
                return;
            }
            if (status == 0) {
                return; // the end of an interim answer
            }
            int bytes = content.content().readableBytes();
            if (bytes > 0) {
                int sofar = body == null ? 0 : body.size();
                if (sofar + bytes > HookClient.MAX_RESPONSE_BYTES) {
                    malformed(ctx, "answer body over " + HookClient.MAX_RESPONSE_BYTES + " bytes");
                    return;
                }
                if (body == null) {
                    body = new ByteArrayOutputStream(Math.min(HookClient.MAX_RESPONSE_BYTES, Math.max(bytes, 256)));
                }
                body.writeBytes(ByteBufUtil.getBytes(content.content()));
            }
            if (msg instanceof LastHttpContent) {
                HookCall answered = call;
                HookResponse response = new HookResponse(status, body == null ? new byte[0] : body.toByteArray());
                call = null;
                body = null;
                if (keepAlive) {
                    client.release(ctx.channel(), this); // may carry the next call at once: nothing of this one after
                } else {
                    ctx.close();
                }
                client.finish(answered, response);
            }
        }
    }

    private void malformed(ChannelHandlerContext ctx, String why) {
        HookCall failed = call;
        call = null;
        body = null;
        ctx.close();
        client.fail(failed, new HookException(HookOutcome.MALFORMED, client.name() + " hook: " + why));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && call == null) {
            ctx.close(); // idle too long: closed before the backend closes it under a call
        } else {
            ReferenceCountUtil.release(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        client.closed(ctx.channel(), this);
        if (call != null && !call.ended) {
            HookCall lost = call;
            call = null;
            client.fail(
                    lost,
                    new HookException(
                            HookOutcome.UNREACHABLE, client.name() + " hook closed the connection before answering"));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // The type only: an SSL or decoder message may quote what was sent (a forwarded cookie).
        if (call != null && !call.ended) {
            HookCall failed = call;
            call = null;
            client.fail(
                    failed,
                    new HookException(
                            HookOutcome.UNREACHABLE,
                            client.name() + " hook connection failed ("
                                    + cause.getClass().getSimpleName() + ")"));
        }
        ctx.close();
    }
}
