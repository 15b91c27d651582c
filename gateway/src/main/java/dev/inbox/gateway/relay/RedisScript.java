package dev.inbox.gateway.relay;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

/**
 * One Lua script, run by its SHA1 ({@code EVALSHA}). The links load every script on each new connection
 * ({@link #load}) before they report Redis reachable, so a script is never sent in full on the hot path.
 *
 * <p>If Redis still answers NOSCRIPT (its cache was flushed, or a shard restarted and the link has not noticed yet),
 * the call fails and the script is loaded again for the next one. It is not re-sent with {@code EVAL}: the retry
 * would go out after messages the same sender sent later, which would then be admitted first (docs/clustering.md,
 * "Order"). A failed admission is a {@code relay_unavailable} to its sender, who may send again.
 */
final class RedisScript {
    private final String source;
    private final String sha;

    RedisScript(String source) {
        this.source = source;
        this.sha = sha1(source);
    }

    /**
     * Runs the script on {@code connection} and hands the reply (a list of bulk strings, byte arrays) or the failure
     * to {@code then}, exactly once. {@code then} runs on Lettuce's I/O thread as it decodes the reply, and before it
     * decodes anything Redis wrote after the reply; or on this thread, before this returns, when the command is
     * refused at once (no connection, queue full). (A timeout comes from Lettuce's timer thread: a failure, which
     * delivers nothing, so its moment does not matter.)
     *
     * <p>Why the command is built here and not by {@code evalsha(...)}: that sends it first and hands back the
     * future after, and a callback attached to a future that is already complete runs at once on the thread
     * attaching it, after Lettuce has gone on to hand over the publications behind the reply (m8 relayed before m7,
     * ConversationRouterTest). Attached before the command is dispatched, {@code then} cannot miss the decoding.
     *
     * @param redis the same connection's commands, to load the script again after a NOSCRIPT
     */
    void run(
            StatefulConnection<byte[], byte[]> connection,
            RedisScriptingAsyncCommands<byte[], byte[]> redis,
            byte[][] keys,
            byte[][] args,
            BiConsumer<List<Object>, Throwable> then) {
        CommandArgs<byte[], byte[]> commandArgs = new CommandArgs<>(ByteArrayCodec.INSTANCE)
                .add(sha)
                .add(keys.length)
                .addKeys(keys)
                .addValues(args);
        AsyncCommand<byte[], byte[], List<Object>> evalsha = new AsyncCommand<>(
                new Command<>(CommandType.EVALSHA, new NestedMultiOutput<>(ByteArrayCodec.INSTANCE), commandArgs));
        evalsha.whenComplete((reply, failure) -> {
            if (failure instanceof RedisNoScriptException) {
                load(redis); // for the next call; this one is refused, see above
            }
            then.accept(failure == null ? reply : null, failure);
        });
        try {
            connection.dispatch(evalsha);
        } catch (RuntimeException e) {
            evalsha.completeExceptionally(e); // then runs here, once, as for a command Lettuce refuses itself
        }
    }

    /** Loads the script into Redis's cache (on a cluster, Lettuce sends it to every master). */
    CompletionStage<String> load(RedisScriptingAsyncCommands<byte[], byte[]> redis) {
        return redis.scriptLoad(source.getBytes(StandardCharsets.UTF_8));
    }

    private static String sha1(String source) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JVM", e);
        }
    }
}
