package dev.inbox.gateway.hook;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.FullHttpRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * One hook call on its way: the request, the future its caller holds, when it started, its timer and the connection
 * carrying it. Touched only on the event loop the call was given to; it ends once, by {@link HookClient#finish} or
 * {@link HookClient#fail}.
 */
final class HookCall {
    final FullHttpRequest request;
    final CompletableFuture<HookResponse> result = new CompletableFuture<>();
    final long startedNanos = System.nanoTime();
    /** Fires {@code --hook-timeout} after the call started; cancelled when it ends sooner. */
    ScheduledFuture<?> timer;
    /** The connection the request went out on, or {@code null} while there is none yet. */
    Channel channel;

    boolean ended;

    HookCall(FullHttpRequest request) {
        this.request = request;
    }
}
