package dev.inbox.gateway.relay;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.CommandWrapper;
import io.lettuce.core.protocol.RedisCommand;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * One Lua script, run by its SHA1 ({@code EVALSHA}). The links load every script on each new connection
 * ({@link #load}) before they report Redis reachable, so a script is never sent in full on the hot path.
 *
 * <p>Until a load has succeeded, and again from a NOSCRIPT or a lost connection ({@link #uncached}) until the next one
 * has, the script is sent whole, with {@code EVAL}: a restarted Redis refuses {@code SCRIPT LOAD} while it loads its
 * data, so the load on reconnecting can fail, and every admission between Redis finishing its load and the next
 * successful {@code SCRIPT LOAD} would otherwise be refused with Redis up. A call that still meets NOSCRIPT (the
 * cache was flushed behind the link's back) fails, and the script is loaded again for the next one. It is not re-sent
 * with {@code EVAL}: the retry would go out after messages the same sender sent later, which would then be admitted
 * first (docs/clustering.md, "Order"). A failed admission is a {@code relay_unavailable} to its sender, who may send
 * again.
 *
 * <p>What a failure means depends on whether the command left the node: one that was never written (no connection,
 * queue full) did not run, but one that was written may have run whatever happened to its reply, so such a failure
 * reaches the caller as a {@link MayHaveRunException}. A script made {@link #awaitingReply} is never failed by the
 * client's command timer (see {@link #timeouts}): its reply, which comes while the connection lives, decides.
 */
final class RedisScript {
    private final String source;
    private final byte[] sourceBytes;
    private final String sha;
    private final boolean awaitsReply;
    /** Whether Redis is known to hold the script, so {@code EVALSHA} will find it. */
    private volatile boolean cached;
    /** A load started from {@link #run} is in flight: one is enough. */
    private final AtomicBoolean reloading = new AtomicBoolean();

    RedisScript(String source) {
        this(source, false);
    }

    private RedisScript(String source, boolean awaitsReply) {
        this.source = source;
        this.sourceBytes = source.getBytes(StandardCharsets.UTF_8);
        this.sha = sha1(source);
        this.awaitsReply = awaitsReply;
    }

    /**
     * A script whose commands wait for their reply however long it takes, as long as the connection lives: for the
     * admission, where a client-side timeout would tell a sender "refused" while Redis had run the script (issue 13).
     * What bounds the wait is the script's own check of when it runs, and the link's watchdog, which closes a
     * connection that stops answering.
     */
    static RedisScript awaitingReply(String source) {
        return new RedisScript(source, true);
    }

    /**
     * The links' command timeouts: {@code timeout} for every command but those of scripts {@link #awaitingReply},
     * which have none.
     */
    static TimeoutOptions timeouts(Duration timeout) {
        long millis = timeout.toMillis();
        return TimeoutOptions.builder()
                .timeoutSource(new TimeoutOptions.TimeoutSource() {
                    @Override
                    public long getTimeout(RedisCommand<?, ?, ?> command) {
                        // 0: no timer at all (TimeoutSource's contract).
                        return command != null && CommandWrapper.unwrap(command, AwaitsReply.class) != null
                                ? 0
                                : millis;
                    }
                })
                .build();
    }

    /** Marks a command that must not be timed out by the client. */
    private interface AwaitsReply {}

    /**
     * The script's command. Remembers whether it was encoded for the socket: a command that never was cannot have run.
     */
    private static class ScriptCommand extends AsyncCommand<byte[], byte[], List<Object>> {
        private volatile boolean written;

        ScriptCommand(Command<byte[], byte[], List<Object>> command) {
            super(command);
        }

        @Override
        public void encode(ByteBuf buf) {
            written = true; // before the bytes exist: a failure from here on may follow a run
            super.encode(buf);
        }

        boolean written() {
            return written;
        }
    }

    private static final class AwaitingReplyCommand extends ScriptCommand implements AwaitsReply {
        AwaitingReplyCommand(Command<byte[], byte[], List<Object>> command) {
            super(command);
        }
    }

    /**
     * The script's command was written to Redis and then failed without a reply from Redis (the connection was lost
     * or closed, or, for a timed script, the timer fired): it may have run, or not.
     */
    static final class MayHaveRunException extends RuntimeException {
        MayHaveRunException(Throwable cause) {
            super(
                    "the command reached redis and its reply was lost: " + RedisLink.describe(cause),
                    cause,
                    false,
                    false);
        }
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
        boolean whole = !cached;
        CommandArgs<byte[], byte[]> commandArgs = new CommandArgs<>(ByteArrayCodec.INSTANCE);
        if (whole) {
            commandArgs.add(sourceBytes);
        } else {
            commandArgs.add(sha);
        }
        commandArgs.add(keys.length).addKeys(keys).addValues(args);
        Command<byte[], byte[], List<Object>> command = new Command<>(
                whole ? CommandType.EVAL : CommandType.EVALSHA,
                new NestedMultiOutput<>(ByteArrayCodec.INSTANCE),
                commandArgs);
        ScriptCommand call = awaitsReply ? new AwaitingReplyCommand(command) : new ScriptCommand(command);
        call.whenComplete((reply, failure) -> {
            if (failure instanceof RedisNoScriptException) {
                uncached();
                reload(redis); // for the next call; this one is refused, see above
            } else if (whole && failure == null) {
                reload(redis); // Redis answers again: back to EVALSHA once the load is in
            }
            // An error reply is Redis's answer (the script did not run: NOSCRIPT, BUSY, OOM...); anything else
            // after the write leaves the outcome open.
            boolean open = failure != null && call.written() && !(failure instanceof RedisCommandExecutionException);
            then.accept(failure == null ? reply : null, open ? new MayHaveRunException(failure) : failure);
        });
        try {
            connection.dispatch(call);
        } catch (RuntimeException e) {
            call.completeExceptionally(e); // then runs here, once, as for a command Lettuce refuses itself
        }
    }

    /** Loads the script into Redis's cache (on a cluster, Lettuce sends it to every master). */
    CompletionStage<String> load(RedisScriptingAsyncCommands<byte[], byte[]> redis) {
        return redis.scriptLoad(sourceBytes).thenApply(loaded -> {
            cached = true;
            return loaded;
        });
    }

    /** Redis may have lost the script (it restarted, or the link lost its connection): send it whole until reloaded. */
    void uncached() {
        cached = false;
    }

    /** Whether the next call goes by SHA1 alone. */
    boolean cached() {
        return cached;
    }

    private void reload(RedisScriptingAsyncCommands<byte[], byte[]> redis) {
        if (reloading.compareAndSet(false, true)) {
            try {
                load(redis).whenComplete((loaded, failure) -> reloading.set(false));
            } catch (RuntimeException e) {
                reloading.set(false); // refused at once (no connection): the next call tries again
            }
        }
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
