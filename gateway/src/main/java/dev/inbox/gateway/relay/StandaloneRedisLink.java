package dev.inbox.gateway.relay;

import static dev.inbox.gateway.relay.RedisLink.describe;

import dev.inbox.gateway.config.GatewayConfig;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubListener;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The link to a standalone Redis: the node's one connection to it, used for scripts, commands and pub/sub alike, and everything that keeps it
 * honest.
 *
 * <p>Why one connection, in RESP3: Redis may then answer commands on a subscribed connection, so a script's reply
 * and the publications before it share one stream, which Lettuce decodes on one thread (its {@code CommandHandler}
 * completes commands and notifies pub/sub listeners from one decode loop); the reply's hand-off is attached before
 * the command is sent ({@link RedisScript#run}). This is the heart of the order argument, and a replacement
 * is where it stops holding (docs/clustering.md, "Order"; {@code StandaloneRedisLinkIT}).
 *
 * <p>Lettuce's defaults are unsafe here, so: while disconnected, commands are rejected at once rather than queued to
 * replay later (the sender gets {@code relay_unavailable}; memory stays flat during an outage); the queue of in-flight
 * commands is bounded ({@code --redis-queue}); every command has a timeout ({@code --redis-timeout}) but the admission
 * script, which waits for its reply as long as the connection lives (its outcome is the reply's:
 * {@link RedisScript#awaitingReply}); TCP keepalive is on; and a PING every {@code --redis-ping-interval} catches a
 * connection that died silently or stopped answering: after two missed pings the connection is closed (which fails the
 * admissions waiting on it with {@code outcome_unknown}), replaced, and every user registered again. Lettuce reconnects
 * (and resubscribes) by itself after a clean disconnect. A disconnect and a replacement are both reported as
 * {@link Events#interrupted}: what was published meanwhile is lost to this node.
 *
 * <p>Thread-safe. What {@link #run} is handed runs on Lettuce's I/O thread and must only hand work off.
 */
final class StandaloneRedisLink implements RedisLink {
    private static final Logger log = LoggerFactory.getLogger(StandaloneRedisLink.class);
    private static final int MISSED_PINGS_BEFORE_REPLACING = 2;

    private final RedisClient client;
    private final RedisURI uri;
    private final GatewayConfig.Redis config;
    private final RedisPubSubListener<byte[], byte[]> listener;
    /** Loaded on every new connection; registered before {@link #start}. */
    private final List<RedisScript> scripts = new CopyOnWriteArrayList<>();

    private final Events events;
    /** Where this node is found: its channel, subscribed on every connection, and its users' entries. */
    private final NodeRegistry registry;

    private final RedisWatchdog watchdog = new RedisWatchdog();
    /** The connection in use; replaced by the watchdog. */
    private volatile StatefulRedisPubSubConnection<byte[], byte[]> connection;
    /** Consecutive pings without an answer; watchdog thread only. */
    private int missedPings;
    /** The last PING was answered with an error reply (Redis loading its data); watchdog thread only. */
    private boolean answeredWithError;

    private volatile boolean closed;
    /** A silent connection is being replaced; until the new one is up, readiness says so. */
    private volatile boolean replacing;

    static final String REPLACING = "redis unreachable: replacing a silent connection";

    StandaloneRedisLink(
            GatewayConfig.Redis config,
            RedisPubSubListener<byte[], byte[]> listener,
            Events events,
            NodeRegistry registry) {
        this.config = config;
        this.registry = registry;
        scripts.addAll(registry.scripts());
        this.listener = listener;
        this.events = events;
        this.uri = config.target().node();
        this.client = RedisClient.create();
        this.client.setOptions(ClientOptions.builder()
                .protocolVersion(ProtocolVersion.RESP3)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(RedisLink.commandQueue(config))
                .autoReconnect(true)
                .pingBeforeActivateConnection(true)
                // Every command times out but the admission's, which waits for its reply (RedisScript#awaitingReply).
                .timeoutOptions(RedisScript.timeouts(config.timeout()))
                .socketOptions(RedisLink.socketOptions(config))
                .build());
        this.client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
                if (handler == connection) {
                    log.info("redis connected: {}", address);
                    // A restarted Redis has forgotten the scripts: load them before saying it is back.
                    StatefulRedisPubSubConnection<byte[], byte[]> c = connection;
                    RedisLink.loadAll(scripts, c.async()).whenComplete((v, failure) -> {
                        if (failure != null) {
                            log.warn(
                                    "redis scripts not loaded ({}); admissions fail until they are", describe(failure));
                        }
                        subscribeNodeChannel(c, () -> {
                            events.reachability(null);
                            events.connected();
                        });
                    });
                }
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                if (handler == connection && !closed) {
                    log.warn("redis disconnected; reconnecting");
                    scripts.forEach(RedisScript::uncached); // the Redis it reconnects to may be a restarted one
                    events.reachability("redis unreachable");
                    events.interrupted();
                }
            }
        });
    }

    @Override
    public RedisClusterAsyncCommands<byte[], byte[]> commands() {
        StatefulRedisPubSubConnection<byte[], byte[]> c = connection;
        // RESP3: the subscribed connection takes ordinary commands too (see the class comment).
        return c == null ? null : c.async();
    }

    @Override
    public void preload(RedisScript script) {
        scripts.add(script);
    }

    @Override
    public boolean scriptPublishes() {
        return true;
    }

    @Override
    public void publish(byte[] channel, byte[] message) {
        throw new UnsupportedOperationException("the admission script publishes on a standalone Redis");
    }

    @Override
    public CompletionStage<Void> subscribeUsers(long[] users) {
        return registry.register(this, users);
    }

    @Override
    public void unsubscribeUsers(long[] users) {
        registry.unregister(this, users);
    }

    /** Connects (retrying in the background until Redis answers) and starts the watchdog. */
    @Override
    public void start() {
        events.reachability(NOT_CONNECTED_YET);
        connectNew();
        watchdog.every(config.pingInterval(), this::checkAlive);
    }

    @Override
    public void run(RedisScript script, byte[][] keys, byte[][] args, BiConsumer<List<Object>, Throwable> then) {
        StatefulRedisPubSubConnection<byte[], byte[]> c = connection;
        if (c == null) {
            then.accept(null, new IllegalStateException("redis not connected"));
            return;
        }
        // On the connection that also carries the subscriptions: see the class comment for why.
        script.run(c, c.async(), keys, args, then);
    }

    private void connectNew() {
        if (closed) {
            return;
        }
        client.connectPubSubAsync(ByteArrayCodec.INSTANCE, uri).whenComplete((c, failure) -> {
            if (failure != null) {
                log.warn(
                        "redis connect failed ({}); retrying in {} ms",
                        describe(failure),
                        config.pingInterval().toMillis());
                events.reachability(replacing ? REPLACING : "redis unreachable");
                watchdog.after(config.pingInterval(), this::connectNew);
                return;
            }
            // The node's channel before the connection is used: a user registered on it is heard from then on.
            RedisLink.loadAll(scripts, c.async())
                    .thenCompose(v -> c.async().subscribe(registry.channel()))
                    .whenComplete((loaded, notLoaded) -> {
                        if (notLoaded != null) {
                            log.warn(
                                    "redis scripts not loaded or node channel not subscribed ({}); retrying in {} ms",
                                    describe(notLoaded),
                                    config.pingInterval().toMillis());
                            c.closeAsync();
                            events.reachability(replacing ? REPLACING : "redis unreachable");
                            watchdog.after(config.pingInterval(), this::connectNew);
                        } else {
                            ready(c);
                        }
                    });
        });
    }

    /**
     * Lettuce resubscribes the node's channel by itself after a reconnect; asking again, and waiting for it, makes sure
     * it is in place before anything registers a user on this connection: a registration it could not hear would be
     * removed by the first publication (NodeRegistry). Until then the node stays in its gap, not ready; a refusal is
     * asked again after the ping interval while {@code c} is the connection and open (a new connect starts anew).
     */
    private void subscribeNodeChannel(StatefulRedisPubSubConnection<byte[], byte[]> c, Runnable then) {
        c.async().subscribe(registry.channel()).whenComplete((v, failure) -> {
            if (failure == null) {
                then.run();
            } else if (c == connection && c.isOpen() && !closed) {
                log.warn(
                        "redis node channel not subscribed ({}); retrying in {} ms",
                        describe(failure),
                        config.pingInterval().toMillis());
                events.reachability("redis unreachable: node channel not subscribed");
                watchdog.after(config.pingInterval(), () -> subscribeNodeChannel(c, then));
            }
        });
    }

    /** A new connection whose scripts are loaded: it replaces the old one, and Redis is reachable again. */
    private void ready(StatefulRedisPubSubConnection<byte[], byte[]> c) {
        // Only while c is current: the replaced connection may still be subscribed in Redis until its close gets
        // there, and what it still brings would be a second copy of what the new one delivers.
        c.addListener(new CurrentConnectionListener(listener, () -> connection == c));
        StatefulRedisPubSubConnection<byte[], byte[]> old = connection;
        connection = c;
        if (old != null) {
            old.closeAsync();
        }
        if (closed) {
            c.closeAsync();
            return;
        }
        log.info("redis connection ready");
        replacing = false;
        events.reachability(null);
        events.connected();
    }

    /** Watchdog thread: a PING that does not come back in time counts as a miss; two misses replace the connection. */
    private void checkAlive() {
        StatefulRedisPubSubConnection<byte[], byte[]> c = connection;
        if (c == null || closed) {
            return;
        }
        try {
            c.async().ping().toCompletableFuture().get(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
            if ((missedPings > 0 || answeredWithError) && !replacing) {
                log.info("redis answers pings again");
                events.reachability(null);
            }
            missedPings = 0;
            answeredWithError = false;
        } catch (Exception e) {
            if (answered(e)) {
                // Redis answered, with an error (LOADING after a restart, BUSY with a long script): the connection
                // works and replacing it would only start over. Not ready meanwhile, but not a miss.
                if (missedPings > 0 || !answeredWithError) {
                    log.warn("redis answers pings with an error: {}", describe(e));
                }
                answeredWithError = true;
                missedPings = 0;
                events.reachability("redis answers with an error");
                return;
            }
            answeredWithError = false;
            missedPings++;
            // While a replacement is under way /readyz keeps saying so, rather than flapping with every ping.
            events.reachability(replacing ? REPLACING : "redis unreachable");
            log.warn("redis ping failed ({} in a row): {}", missedPings, describe(e));
            if (missedPings >= MISSED_PINGS_BEFORE_REPLACING && c.isOpen() && !replacing) {
                // The socket looks open but nothing comes back: a silently dead connection. Replace it.
                missedPings = 0;
                replacing = true;
                log.warn("replacing the redis connection");
                if (silent(e)) {
                    // Closed now, not once a new one is up: an admission waits for its reply for as long as the
                    // connection lives, so this is what ends the wait of those sent into a Redis that stopped
                    // answering (they learn outcome_unknown; new ones are refused at once until the new connection
                    // is up). A connection that is merely disconnected holds none (Lettuce failed them at the
                    // disconnect) and is left to reconnect by itself.
                    c.closeAsync();
                }
                events.reachability(REPLACING);
                events.interrupted(); // whatever it was subscribed to, nothing comes through it
                connectNew();
            }
        }
    }

    /** Whether a failed PING was answered by Redis with an error reply, rather than not answered at all. */
    private static boolean answered(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RedisCommandExecutionException) {
                return true;
            }
        }
        return false;
    }

    /** Whether a failed PING timed out (the connection is up and nothing answers) rather than being refused. */
    private static boolean silent(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TimeoutException || t instanceof RedisCommandTimeoutException) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        closed = true;
        watchdog.close();
        StatefulRedisPubSubConnection<byte[], byte[]> c = connection;
        if (c != null) {
            c.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
