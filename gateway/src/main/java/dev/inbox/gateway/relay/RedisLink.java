package dev.inbox.gateway.relay;

import dev.inbox.gateway.config.GatewayConfig;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.BiConsumer;

/**
 * What the relay needs of Redis: run a script, be reachable for its users, publish. Two implementations: a
 * standalone server ({@link StandaloneRedisLink}: one RESP3 connection, the admission script publishes) and a
 * Redis Cluster ({@link ClusterRedisLink}: sharded pub/sub, the node publishes each envelope to its channel's shard).
 * Replies and stages complete on Lettuce's threads; callers only hand work off.
 */
interface RedisLink extends AutoCloseable {
    /** What the link tells the rest of the node. */
    interface Events {
        /** Redis became reachable ({@code null}) or not (a reason). Any thread. */
        void reachability(String problem);

        /**
         * The pub/sub subscriptions are gone or in doubt: the connection dropped, or the watchdog gave up on it.
         * Messages published from now until {@link #connected} and the resubscription are lost to this node. Any
         * thread.
         */
        void interrupted();

        /** A new connection is ready: every channel that should be subscribed must be subscribed on it. */
        void connected();
    }

    /** What {@link #start} reports before the first attempt to connect has an outcome: not yet a failure. */
    String NOT_CONNECTED_YET = "redis not connected yet";

    /**
     * The current connection's commands, for occasional work off the hot path (the outbox's checks); {@code null}
     * while there is none. Replies complete on Lettuce's threads. On a cluster each command goes to its key's shard.
     */
    RedisClusterAsyncCommands<byte[], byte[]> commands();

    /**
     * Registers a script to load on every new connection, before Redis is reported reachable. Call before
     * {@link #start}.
     */
    void preload(RedisScript script);

    /** Connects, in the background until Redis answers, and starts watching the connection. */
    void start();

    /**
     * Runs {@code script} and hands its reply, or the failure (having no connection included), to {@code then}, once:
     * on Lettuce's I/O thread as it decodes the reply, before it decodes anything Redis wrote after it (see
     * {@link RedisScript#run}), or on this thread, before this returns, when the command is refused at once.
     */
    void run(RedisScript script, byte[][] keys, byte[][] args, BiConsumer<List<Object>, Throwable> then);

    /**
     * {@link #run(RedisScript, byte[][], byte[][], BiConsumer)} as a stage, for callers to whom the thread and the
     * moment do not matter (membership changes, not messages).
     */
    default CompletionStage<List<Object>> run(RedisScript script, byte[][] keys, byte[]... args) {
        CompletableFuture<List<Object>> reply = new CompletableFuture<>();
        run(script, keys, args, (r, failure) -> {
            if (failure != null) {
                reply.completeExceptionally(failure);
            } else {
                reply.complete(r);
            }
        });
        return reply;
    }

    /**
     * Makes this node reachable for {@code users}: from the moment the stage completes, every event published to
     * them reaches this node ({@link NodeRegistry} on a standalone Redis; each user's sharded channel on a cluster).
     * Fails, also when there is no connection; a failure is repaired by the resubscription after the next connect.
     */
    CompletionStage<Void> subscribeUsers(long[] users);

    void unsubscribeUsers(long[] users);

    /** True when the admission script publishes itself; false when the node must {@link #publish} each envelope. */
    boolean scriptPublishes();

    /** Publishes one envelope to one user channel (sharded on a cluster). */
    void publish(byte[] channel, byte[] message);

    @Override
    void close();

    /**
     * Socket settings both links use: connect timeout, and TCP keepalive (probe after 10 s idle, every 5 s, 3 tries)
     * so a peer that vanished without a reset is noticed by the kernel too.
     */
    static SocketOptions socketOptions(GatewayConfig.Redis config) {
        return SocketOptions.builder()
                .connectTimeout(config.timeout())
                .keepAlive(SocketOptions.KeepAliveOptions.builder()
                        .enable()
                        .idle(Duration.ofSeconds(10))
                        .interval(Duration.ofSeconds(5))
                        .count(3)
                        .build())
                .build();
    }

    /**
     * Room on the connection above the admissions' own bound ({@code --redis-queue}, enforced by
     * {@link RedisAdmission}), for the commands that are not admissions: pings, subscriptions, membership, the
     * outbox's checks. Lettuce refuses a command past it; with the admissions bounded first, it does not come to that.
     */
    int NON_ADMISSION_COMMANDS = 1024;

    /** Lettuce's bound on the commands queued on one connection. */
    static int commandQueue(GatewayConfig.Redis config) {
        return config.queueSize() + NON_ADMISSION_COMMANDS;
    }

    /** Loads every script of {@code scripts}; completes when all are loaded, or with the first failure. */
    static CompletableFuture<Void> loadAll(
            List<RedisScript> scripts, RedisScriptingAsyncCommands<byte[], byte[]> redis) {
        CompletableFuture<?>[] loads = new CompletableFuture<?>[scripts.size()];
        for (int i = 0; i < loads.length; i++) {
            loads[i] = scripts.get(i).load(redis).toCompletableFuture();
        }
        return CompletableFuture.allOf(loads);
    }

    /** A short, secret-free description of a Redis failure. */
    static String describe(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        StringBuilder b = new StringBuilder();
        for (int depth = 0; c != null && depth < 4; c = c.getCause(), depth++) {
            String m = c.getMessage();
            b.append(depth == 0 ? "" : " <- ")
                    .append(c.getClass().getSimpleName())
                    .append(m == null ? "" : ": " + m.replaceAll("//[^@/]*@", "//***@"));
        }
        return b.toString();
    }
}
