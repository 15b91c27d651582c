package dev.inbox.gateway.relay;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One Lua script, run by its SHA1 ({@code EVALSHA}). The links load every script on each new connection
 * ({@link #load}) before they report Redis reachable, so a script is never sent in full on the hot path.
 *
 * <p>If Redis still answers NOSCRIPT (its cache was flushed, or a shard restarted and the link has not noticed yet),
 * the call fails and the script is loaded again for the next one. It is not re-sent with {@code EVAL}: the retry
 * would go out after messages the same sender sent later, which would then be admitted first (RelayIT saw m18
 * before m1 that way on a fresh Redis). A failed admission is a {@code relay_unavailable} to its sender, who may
 * send again; messages that are admitted keep their order.
 */
final class RedisScript {
    private final String source;
    private final String sha;

    RedisScript(String source) {
        this.source = source;
        this.sha = sha1(source);
    }

    /** Runs the script; the reply is a list of bulk strings (byte arrays). */
    CompletionStage<List<Object>> run(RedisScriptingAsyncCommands<byte[], byte[]> redis, byte[][] keys,
                                      byte[]... args) {
        CompletableFuture<List<Object>> result = new CompletableFuture<>();
        redis.<List<Object>>evalsha(sha, ScriptOutputType.MULTI, keys, args).whenComplete((reply, failure) -> {
            if (failure != null) {
                if (failure instanceof RedisNoScriptException) {
                    load(redis); // for the next call; this one is refused, see above
                }
                result.completeExceptionally(failure);
            } else {
                result.complete(reply);
            }
        });
        return result;
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
