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
 * One Lua script, run by its SHA1 ({@code EVALSHA}); when Redis does not know it (a restarted or new server answers
 * NOSCRIPT) it is sent once in full with {@code EVAL}, which also caches it there.
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
            if (failure instanceof RedisNoScriptException) {
                redis.<List<Object>>eval(source, ScriptOutputType.MULTI, keys, args).whenComplete((r, f) -> {
                    if (f != null) {
                        result.completeExceptionally(f);
                    } else {
                        result.complete(r);
                    }
                });
            } else if (failure != null) {
                result.completeExceptionally(failure);
            } else {
                result.complete(reply);
            }
        });
        return result;
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
