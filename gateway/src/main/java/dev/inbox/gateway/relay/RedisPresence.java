package dev.inbox.gateway.relay;

import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.metrics.PresenceMeters;
import dev.inbox.gateway.presence.PresenceStore;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.pubsub.api.async.RedisPubSubAsyncCommands;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Presence shared by every node through a standalone Redis (docs/clustering.md, "Presence"):
 * <pre>
 *   inbox:presence:nodes        set of the nodes that hold users
 *   inbox:presence:node:NODE    a node's heartbeat, set every quarter of --presence-timeout, expiring after half
 *   inbox:presence:n:NODE       set of the users a node holds
 *   inbox:presence:u:USER       set of the nodes holding a user: online while not empty
 *   inbox:p:USER                pub/sub channel of a user's changes ("1" online, "0" offline), subscribed only by
 *                               the nodes with a connection watching that user
 * </pre>
 * A user's first node and last node each change the user's set in one script that publishes the change, so it is
 * told once, to the nodes watching that user only. One script a tick renews this node's heartbeat (one round trip
 * per interval per node, whatever its users) and sweeps: every node runs it, and since a sweep is one script that
 * removes what it publishes, two nodes sweeping the same dead node tell its users' change once. A dead node's users
 * are told offline within half the timeout (the heartbeat's expiry) plus a quarter (the next sweep).
 *
 * <p>One RESP3 connection carries the commands and the subscriptions, so a status read and a change published after
 * it arrive in that order. Lettuce resubscribes after a reconnect; the watched users are then read again, and a
 * heartbeat that finds its key expired (the node was cut off long enough to be swept) puts this node's users back.
 *
 * <p>On a Redis Cluster the scripts still name keys they build, so every key carries one hash tag
 * ({@value #CLUSTER_PREFIX}...) and lives on the one shard that owns its slot: the node connects to that shard's
 * master, found from the cluster's slot map, and finds it again after every disconnect or {@code MOVED} (a failover,
 * a resharding). The channels are plain pub/sub, which a cluster delivers to subscribers on every shard.
 */
public final class RedisPresence implements PresenceStore {
    private static final Logger log = LoggerFactory.getLogger(RedisPresence.class);

    static final String PREFIX = "inbox:presence:";
    /** The keys' prefix on a Redis Cluster: one hash tag, so one shard holds them all and the scripts stay atomic. */
    static final String CLUSTER_PREFIX = "{inbox:presence}:";

    static final String CHANNEL_PREFIX = "inbox:p:";
    private static final byte[] ONLINE_MESSAGE = {'1'};

    /** KEYS: the user's set, the node's set. ARGV: node, user, channel. 1 when the user came online. */
    private static final String ONLINE = """
            redis.call('SADD', KEYS[2], ARGV[2])
            if redis.call('SADD', KEYS[1], ARGV[1]) == 1 and redis.call('SCARD', KEYS[1]) == 1 then
              redis.call('PUBLISH', ARGV[3], '1')
              return 1
            end
            return 0
            """;
    /** KEYS: the user's set, the node's set. ARGV: node, user, channel. 1 when the user went offline. */
    private static final String OFFLINE = """
            redis.call('SREM', KEYS[2], ARGV[2])
            if redis.call('SREM', KEYS[1], ARGV[1]) == 1 and redis.call('SCARD', KEYS[1]) == 0 then
              redis.call('PUBLISH', ARGV[3], '0')
              return 1
            end
            return 0
            """;
    /**
     * KEYS: this node's heartbeat, the node set. ARGV: expiry ms, node, key prefix, channel prefix. Renews the
     * heartbeat, then sweeps every node whose heartbeat expired. Returns {whether the heartbeat was still there,
     * users told offline}.
     */
    private static final String TICK = """
            local was = redis.call('GET', KEYS[1])
            redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
            redis.call('SADD', KEYS[2], ARGV[2])
            local swept = 0
            for _, node in ipairs(redis.call('SMEMBERS', KEYS[2])) do
              if redis.call('EXISTS', ARGV[3] .. 'node:' .. node) == 0 then
                local nk = ARGV[3] .. 'n:' .. node
                for _, u in ipairs(redis.call('SMEMBERS', nk)) do
                  local uk = ARGV[3] .. 'u:' .. u
                  if redis.call('SREM', uk, node) == 1 and redis.call('SCARD', uk) == 0 then
                    redis.call('PUBLISH', ARGV[4] .. u, '0')
                    swept = swept + 1
                  end
                end
                redis.call('DEL', nk)
                redis.call('SREM', KEYS[2], node)
              end
            end
            if was then return {1, swept} end
            return {0, swept}
            """;

    private final String node = HexFormat.of().formatHex(new SecureRandom().generateSeed(8));
    private final byte[] nodeBytes = node.getBytes(StandardCharsets.US_ASCII);
    /** {@link #PREFIX}, or {@link #CLUSTER_PREFIX} on a Redis Cluster. */
    private final String prefix;

    private final byte[] nodesKey;
    private final byte[] heartbeatKey;
    private final byte[] nodeUsersKey;
    /** On a Redis Cluster, the slot map: where the presence shard is; {@code null} on a standalone Redis. */
    private final RedisClusterClient topology;

    private final GatewayConfig.Redis config;
    private final Duration timeout;
    private final Duration debounce;
    private final PresenceMeters meters;
    private final RedisClient client;
    /**
     * The relay's address under a name of its own ({@value #CLIENT_NAME}): in CLIENT LIST an operator, and the relay's
     * tests, tell this connection from the relay's.
     */
    private final RedisURI uri;

    static final String CLIENT_NAME = "inbox-presence";

    private volatile StatefulRedisPubSubConnection<byte[], byte[]> connection;
    private volatile Changes changes = (u, o) -> {};
    private ScheduledExecutorService thread;
    private Supplier<long[]> localUsers;
    /** Users watched; presence thread only. */
    private final Set<Long> watched = new HashSet<>();
    /** An online/offline that Redis may not have got: the next heartbeat puts this node's users right. */
    private volatile boolean dirty;

    private volatile boolean closed;

    /**
     * @param timeout  the bound on showing a dead node's users offline ({@code --presence-timeout})
     * @param debounce how long a user stays online after leaving ({@code --presence-debounce}); also this node's
     *                 users' when it shuts down
     */
    public RedisPresence(GatewayConfig.Redis config, Duration timeout, Duration debounce, PresenceMeters meters) {
        this.config = config;
        this.debounce = debounce;
        this.timeout = timeout;
        this.meters = meters;
        boolean cluster = config.target().cluster();
        this.prefix = cluster ? CLUSTER_PREFIX : PREFIX;
        this.nodesKey = key("nodes");
        this.heartbeatKey = key("node:" + node);
        this.nodeUsersKey = key("n:" + node);
        this.uri = RedisURI.builder(config.target().node())
                .withClientName(CLIENT_NAME)
                .build();
        this.topology = cluster ? RedisClusterClient.create(config.target().nodes()) : null;
        if (topology != null) {
            topology.setOptions(ClusterClientOptions.builder()
                    .timeoutOptions(RedisScript.timeouts(config.timeout()))
                    .socketOptions(RedisLink.socketOptions(config))
                    .build());
        }
        this.client = RedisClient.create();
        this.client.setOptions(ClientOptions.builder()
                .protocolVersion(ProtocolVersion.RESP3)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                // On a cluster the shard may have moved: the node connects again itself, to wherever it is now.
                .autoReconnect(!cluster)
                .timeoutOptions(RedisScript.timeouts(config.timeout()))
                .socketOptions(RedisLink.socketOptions(config))
                .build());
    }

    @Override
    public void start(ScheduledExecutorService thread, Changes changes, Supplier<long[]> localUsers) {
        this.thread = thread;
        this.changes = changes;
        this.localUsers = localUsers;
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
                if (handler == connection) {
                    // A reconnect: the changes published meanwhile were lost to this node; read the watched again.
                    onThread(RedisPresence.this::refreshWatched);
                    dirty = true;
                }
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                if (topology != null && handler == connection && !closed) {
                    dirty = true;
                    log.warn("presence: lost the redis cluster's presence shard; connecting again");
                    retryConnect();
                }
            }
        });
        connect();
        long interval = Math.max(100, timeout.toMillis() / 4);
        thread.scheduleWithFixedDelay(this::tick, interval, interval, TimeUnit.MILLISECONDS);
    }

    private void connect() {
        if (closed) {
            return;
        }
        presenceShard()
                .thenCompose(at -> client.connectPubSubAsync(ByteArrayCodec.INSTANCE, at))
                .whenComplete((c, failure) -> {
                    if (failure != null) {
                        log.warn("presence: redis connect failed ({}); retrying", RedisLink.describe(failure));
                        retryConnect();
                        return;
                    }
                    c.addListener(new RedisPubSubAdapter<>() {
                        @Override
                        public void message(byte[] channel, byte[] message) {
                            long user = userOf(channel);
                            if (user > 0 && message.length == 1) {
                                changes.changed(user, message[0] == '1');
                            }
                        }
                    });
                    StatefulRedisPubSubConnection<byte[], byte[]> lost = connection;
                    connection = c;
                    if (lost != null && lost != c) {
                        lost.closeAsync(); // a cluster's dropped connection: Lettuce does not reopen it
                    }
                    if (closed) {
                        c.closeAsync();
                        return;
                    }
                    onThread(() -> {
                        dirty = true;
                        for (long u : watched) {
                            c.async().subscribe(channel(u));
                        }
                        tick();
                        refreshWatched();
                    });
                });
    }

    private void retryConnect() {
        try {
            thread.schedule(this::connect, config.pingInterval().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // the node is closing: no more attempts
        }
    }

    /**
     * Where the presence keys are: the configured Redis, or on a cluster the master that owns their slot now (the
     * slot map read afresh), with the configured credentials.
     */
    private CompletionStage<RedisURI> presenceShard() {
        if (topology == null) {
            return CompletableFuture.completedFuture(uri);
        }
        return topology.refreshPartitionsAsync().thenApply(v -> {
            RedisClusterNode owner = topology.getPartitions().getMasterBySlot(SlotHash.getSlot(nodesKey));
            if (owner == null) {
                throw new IllegalStateException("no master serves slot " + SlotHash.getSlot(nodesKey));
            }
            return RedisURI.builder(uri)
                    .withHost(owner.getUri().getHost())
                    .withPort(owner.getUri().getPort())
                    .build();
        });
    }

    /**
     * A command that failed: this node's entries may be wrong until the next heartbeat puts them right. On a cluster,
     * a {@code MOVED} means the presence slot is elsewhere now: the connection is closed, and the node connects to
     * the new owner.
     */
    private void failed(Throwable failure) {
        dirty = true;
        StatefulRedisPubSubConnection<byte[], byte[]> c = connection;
        if (topology != null && c != null && RedisLink.describe(failure).contains("MOVED")) {
            c.closeAsync();
        }
    }

    private RedisPubSubAsyncCommands<byte[], byte[]> commands() {
        StatefulRedisPubSubConnection<byte[], byte[]> c = connection;
        return c == null || !c.isOpen() ? null : c.async();
    }

    /** The heartbeat and the sweep, one script; presence thread. */
    private void tick() {
        RedisPubSubAsyncCommands<byte[], byte[]> redis = commands();
        if (redis == null) {
            return;
        }
        boolean resync = dirty;
        redis.<List<Object>>eval(
                        TICK,
                        ScriptOutputType.MULTI,
                        new byte[][] {heartbeatKey, nodesKey},
                        ascii(timeout.toMillis() / 2),
                        nodeBytes,
                        prefix.getBytes(StandardCharsets.US_ASCII),
                        CHANNEL_PREFIX.getBytes(StandardCharsets.US_ASCII))
                .whenComplete((reply, failure) -> {
                    if (failure != null) {
                        log.debug("presence heartbeat failed: {}", RedisLink.describe(failure));
                        failed(failure);
                        return;
                    }
                    long swept = (Long) reply.get(1);
                    for (long i = 0; i < swept; i++) {
                        meters.published();
                    }
                    if (resync || (Long) reply.get(0) == 0) {
                        onThread(this::resync);
                    }
                });
    }

    /** Makes this node's entries what it holds: after an outage, or after being swept while cut off. */
    private void resync() {
        RedisPubSubAsyncCommands<byte[], byte[]> redis = commands();
        if (redis == null) {
            return;
        }
        dirty = false;
        long[] held = localUsers.get();
        Set<Long> holding = new HashSet<>();
        for (long u : held) {
            holding.add(u);
            online(u);
        }
        redis.smembers(nodeUsersKey).whenComplete((members, failure) -> {
            if (failure != null) {
                dirty = true;
                return;
            }
            onThread(() -> {
                for (byte[] m : members) {
                    long u = RedisAdmission.parse(m);
                    if (!holding.contains(u)) {
                        offline(u);
                    }
                }
            });
        });
    }

    /** Reads every watched user's status and tells it as a change (the subscriptions drop what they knew). */
    private void refreshWatched() {
        long[] users = watched.stream().mapToLong(Long::longValue).toArray();
        if (users.length == 0) {
            return;
        }
        statuses(users).whenComplete((s, failure) -> {
            if (failure == null) {
                for (int i = 0; i < users.length; i++) {
                    changes.changed(users[i], s[i]);
                }
            }
        });
    }

    @Override
    public void online(long userId) {
        change(ONLINE, userId);
    }

    @Override
    public void offline(long userId) {
        change(OFFLINE, userId);
    }

    private void change(String script, long userId) {
        RedisPubSubAsyncCommands<byte[], byte[]> redis = commands();
        if (redis == null) {
            dirty = true;
            return;
        }
        redis.<Long>eval(
                        script,
                        ScriptOutputType.INTEGER,
                        new byte[][] {userKey(userId), nodeUsersKey},
                        nodeBytes,
                        ascii(userId),
                        channel(userId))
                .whenComplete((published, failure) -> {
                    if (failure != null) {
                        failed(failure);
                    } else if (published == 1) {
                        meters.published();
                    }
                });
    }

    @Override
    public CompletionStage<boolean[]> statuses(long[] userIds) {
        RedisPubSubAsyncCommands<byte[], byte[]> redis = commands();
        if (redis == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("redis unreachable"));
        }
        @SuppressWarnings("unchecked")
        CompletableFuture<Long>[] cards = new CompletableFuture[userIds.length];
        for (int i = 0; i < userIds.length; i++) {
            cards[i] = redis.scard(userKey(userIds[i])).toCompletableFuture();
        }
        return CompletableFuture.allOf(cards).thenApply(v -> {
            boolean[] out = new boolean[userIds.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = cards[i].join() > 0;
            }
            return out;
        });
    }

    @Override
    public void watch(long userId) {
        if (watched.add(userId)) {
            RedisPubSubAsyncCommands<byte[], byte[]> redis = commands();
            if (redis != null) {
                redis.subscribe(channel(userId)); // a failure is mended by the resubscription on reconnect
            }
        }
    }

    @Override
    public void unwatch(long userId) {
        if (watched.remove(userId)) {
            RedisPubSubAsyncCommands<byte[], byte[]> redis = commands();
            if (redis != null) {
                redis.unsubscribe(channel(userId));
            }
        }
    }

    /**
     * Leaves as a user leaves: this node's heartbeat is set to lapse after the debounce, and the next sweep after it
     * tells its users offline, except those who reconnected to another node meanwhile (a drain's closes send them
     * there). Waits a little for Redis; a node that cannot say so is swept after the usual expiry.
     */
    @Override
    public void close() {
        closed = true;
        RedisPubSubAsyncCommands<byte[], byte[]> redis = commands();
        if (redis != null) {
            try {
                redis.set(heartbeatKey, ONLINE_MESSAGE, SetArgs.Builder.px(Math.max(1, debounce.toMillis())))
                        .toCompletableFuture()
                        .get(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                log.info("presence: could not leave Redis at close ({}); other nodes sweep this node", e.toString());
            }
        }
        StatefulRedisPubSubConnection<byte[], byte[]> c = connection;
        if (c != null) {
            c.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        if (topology != null) {
            topology.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /** Runs {@code task} on the presence thread, unless the node is closing. */
    private void onThread(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException closing) {
            // the presence thread is stopped: the node is closing
        }
    }

    private byte[] userKey(long userId) {
        return key("u:" + userId);
    }

    private byte[] key(String name) {
        return (prefix + name).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] channel(long userId) {
        return (CHANNEL_PREFIX + userId).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] ascii(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    /** The user of a presence channel, or -1. */
    static long userOf(byte[] channel) {
        String s = new String(channel, StandardCharsets.US_ASCII);
        if (!s.startsWith(CHANNEL_PREFIX)) {
            return -1;
        }
        try {
            return Long.parseLong(s.substring(CHANNEL_PREFIX.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
