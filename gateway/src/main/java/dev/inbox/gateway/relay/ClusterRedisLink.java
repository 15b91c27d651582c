package dev.inbox.gateway.relay;

import static dev.inbox.gateway.relay.RedisLink.describe;

import dev.inbox.gateway.config.GatewayConfig;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubListener;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The link to a Redis Cluster ({@code redis+cluster://host:port[,host:port...]}). Relay traffic uses sharded
 * pub/sub ({@code SSUBSCRIBE}/{@code SPUBLISH}, Redis 7): a user channel lives on the shard that owns its slot, so
 * relay load spreads over the shards instead of crossing the cluster bus to every node. A conversation's keys share
 * one slot, so the admission script still runs atomically on one shard; it cannot publish to channels on other
 * shards, so it returns the id and members and the node publishes one envelope per member.
 *
 * <p>Order is weaker than on a standalone Redis: a node's own replies and other nodes' publications come in on
 * different connections, so two nodes' messages sent within a round trip may reach a connection out of id order
 * (docs/clustering.md, "Redis Cluster").
 *
 * <p>Safety settings: a bounded command queue ({@code --redis-queue}) and a timeout on every command (so during an
 * outage memory stays flat and senders get an answer within {@code --redis-timeout}: {@code relay_unavailable} for
 * an admission never sent, {@code outcome_unknown} for one sent whose reply did not come in time), TCP
 * keepalive, periodic PINGs that turn the node not-ready when unanswered, and adaptive topology refresh so a
 * failover is followed. The admission keeps its timeout here: this link does not close a shard connection that stops
 * answering, so the timer is what bounds a sender's wait. (Unlike the standalone link, commands are not rejected outright while disconnected: shard
 * connections open lazily, and rejection would refuse the first command to each shard.)
 */
final class ClusterRedisLink implements RedisLink {
    private static final Logger log = LoggerFactory.getLogger(ClusterRedisLink.class);

    private final RedisClusterClient client;
    private final GatewayConfig.Redis config;
    private final RedisPubSubListener<byte[], byte[]> listener;
    /** Loaded on every new connection, on every master; registered before {@link #start}. */
    private final List<RedisScript> scripts = new CopyOnWriteArrayList<>();

    private final Events events;
    private final RedisWatchdog watchdog = new RedisWatchdog();
    private volatile StatefulRedisClusterConnection<byte[], byte[]> commands;
    private volatile StatefulRedisClusterPubSubConnection<byte[], byte[]> pubsub;
    private volatile boolean closed;
    /** Whether the last check failed; watchdog thread only. */
    private boolean failing;

    ClusterRedisLink(GatewayConfig.Redis config, RedisPubSubListener<byte[], byte[]> listener, Events events) {
        this.config = config;
        this.listener = listener;
        this.events = events;
        this.client = RedisClusterClient.create(config.target().nodes());
        this.client.setOptions(ClusterClientOptions.builder()
                .protocolVersion(ProtocolVersion.RESP3)
                // Per-shard connections open lazily, so rejecting while "disconnected" would refuse the first command
                // to every shard. Commands are accepted instead, but the queue is bounded and every command times out.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                .requestQueueSize(RedisLink.commandQueue(config))
                .autoReconnect(true)
                .timeoutOptions(TimeoutOptions.enabled(config.timeout()))
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enableAllAdaptiveRefreshTriggers()
                        .enablePeriodicRefresh(Duration.ofSeconds(30))
                        .build())
                .socketOptions(RedisLink.socketOptions(config))
                .build());
    }

    @Override
    public void start() {
        events.reachability(NOT_CONNECTED_YET);
        connect();
        watchdog.every(config.pingInterval(), this::check);
    }

    private void connect() {
        if (closed) {
            return;
        }
        // The slot map first (Lettuce's async connect does not load it), then the two connections.
        client.refreshPartitionsAsync()
                .thenCompose(v -> client.connectAsync(ByteArrayCodec.INSTANCE))
                .thenCompose(c -> client.connectPubSubAsync(ByteArrayCodec.INSTANCE)
                        .thenApply(p -> {
                            p.setNodeMessagePropagation(true);
                            p.addListener(new CurrentConnectionListener(listener, () -> pubsub == p));
                            StatefulRedisClusterConnection<byte[], byte[]> oldCommands = commands;
                            StatefulRedisClusterPubSubConnection<byte[], byte[]> oldPubsub = pubsub;
                            commands = c;
                            pubsub = p;
                            if (oldPubsub != null) { // left by an attempt that failed later on
                                oldPubsub.closeAsync();
                                oldCommands.closeAsync();
                            }
                            return p;
                        }))
                .thenCompose(p -> RedisLink.loadAll(scripts, commands.async()).thenApply(loaded -> p))
                .whenComplete((p, failure) -> {
                    if (failure != null) {
                        log.warn("redis cluster connect failed ({}); retrying", describe(failure));
                        events.reachability("redis unreachable");
                        watchdog.after(config.pingInterval(), this::connect);
                        return;
                    }
                    log.info("redis cluster connections ready");
                    events.reachability(null);
                    events.connected();
                });
    }

    private void check() {
        StatefulRedisClusterConnection<byte[], byte[]> c = commands;
        if (c == null || closed) {
            return;
        }
        try {
            c.async().ping().toCompletableFuture().get(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
            if (failing) {
                // Shards may have restarted: load the scripts and subscribe everything again (both idempotent).
                RedisLink.loadAll(scripts, c.async()).get(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
                failing = false;
                log.info("redis cluster answers pings again");
                events.reachability(null);
                events.connected();
            }
        } catch (Exception e) {
            failing = true;
            events.reachability("redis unreachable");
            // The pings are all this link watches: a shard that answers none may have lost its subscriptions.
            events.interrupted();
            log.warn("redis cluster ping failed: {}", describe(e));
        }
    }

    @Override
    public void run(RedisScript script, byte[][] keys, byte[][] args, BiConsumer<List<Object>, Throwable> then) {
        StatefulRedisClusterConnection<byte[], byte[]> c = commands;
        if (c == null) {
            then.accept(null, new IllegalStateException("redis cluster not connected"));
            return;
        }
        // Lettuce routes it to the shard of the first key's slot; the reply is decoded on that shard connection's
        // thread, not the pub/sub connections' (docs/clustering.md, "Redis Cluster").
        script.run(c, c.async(), keys, args, then);
    }

    @Override
    public CompletionStage<Void> subscribeUsers(long[] users) {
        StatefulRedisClusterPubSubConnection<byte[], byte[]> p = pubsub;
        if (p == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("redis cluster not connected"));
        }
        // One channel per command: Lettuce routes a sharded command by its slot, and channels of different slots in
        // one SSUBSCRIBE would be refused (CROSSSLOT).
        CompletableFuture<?>[] each = new CompletableFuture<?>[users.length];
        try {
            for (int i = 0; i < users.length; i++) {
                each[i] = p.async().ssubscribe(RedisKeys.userChannel(users[i])).toCompletableFuture();
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return CompletableFuture.allOf(each);
    }

    @Override
    public void unsubscribeUsers(long[] users) {
        StatefulRedisClusterPubSubConnection<byte[], byte[]> p = pubsub;
        if (p != null) {
            for (long user : users) {
                p.async().sunsubscribe(RedisKeys.userChannel(user));
            }
        }
    }

    @Override
    public RedisClusterAsyncCommands<byte[], byte[]> commands() {
        StatefulRedisClusterConnection<byte[], byte[]> c = commands;
        return c == null ? null : c.async();
    }

    @Override
    public void preload(RedisScript script) {
        scripts.add(script);
    }

    @Override
    public boolean scriptPublishes() {
        return false;
    }

    @Override
    public void publish(byte[] channel, byte[] message) {
        StatefulRedisClusterConnection<byte[], byte[]> c = commands;
        if (c != null) {
            c.async().spublish(channel, message);
        }
    }

    @Override
    public void close() {
        closed = true;
        watchdog.close();
        if (pubsub != null) {
            pubsub.close();
        }
        if (commands != null) {
            commands.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
