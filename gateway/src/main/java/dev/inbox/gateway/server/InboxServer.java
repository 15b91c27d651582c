package dev.inbox.gateway.server;

import dev.inbox.gateway.admin.AdminChannelInitializer;
import dev.inbox.gateway.admin.AdminHandler;
import dev.inbox.gateway.auth.Authenticator;
import dev.inbox.gateway.auth.ConnectHook;
import dev.inbox.gateway.auth.OriginPolicy;
import dev.inbox.gateway.auth.TokenVerifier;
import dev.inbox.gateway.config.ConfigException;
import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.health.Readiness;
import dev.inbox.gateway.history.ConversationHistory;
import dev.inbox.gateway.history.HistoryReader;
import dev.inbox.gateway.hook.HookClient;
import dev.inbox.gateway.hook.PublishHook;
import dev.inbox.gateway.inbox.HistoryRequests;
import dev.inbox.gateway.inbox.InboxEndpoint;
import dev.inbox.gateway.inbox.InboxFrameHandler;
import dev.inbox.gateway.inbox.ReplaySource;
import dev.inbox.gateway.inbox.Resumer;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.metrics.PresenceMeters;
import dev.inbox.gateway.presence.LocalPresence;
import dev.inbox.gateway.presence.Presence;
import dev.inbox.gateway.presence.PresenceRequests;
import dev.inbox.gateway.presence.PresenceStore;
import dev.inbox.gateway.receipts.LocalReadPositions;
import dev.inbox.gateway.receipts.ReadPositions;
import dev.inbox.gateway.receipts.ReceiptRequests;
import dev.inbox.gateway.receipts.UnreadCounter;
import dev.inbox.gateway.relay.RedisPresence;
import dev.inbox.gateway.relay.RedisRelay;
import dev.inbox.gateway.routing.ConversationRouter;
import dev.inbox.gateway.routing.EventLoops;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.routing.LocalRelay;
import dev.inbox.gateway.routing.Relay;
import dev.inbox.gateway.routing.UserGroups;
import dev.inbox.gateway.typing.TypingRequests;
import dev.inbox.protocol.ClientMessageDecoder;
import dev.inbox.protocol.PresenceRequestDecoder;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gateway node: wires configuration into the parts, binds the public and admin ports, and closes them.
 * {@link #start} returns once both ports are bound; {@link #close} stops accepting, closes every connection and
 * frees the event loops.
 */
public final class InboxServer implements AutoCloseable {
    /**
     * Every buffer of the public port and the router. Pooled rather than Netty 4.2's default adaptive allocator:
     * a pooled buffer's {@code retainedDuplicate()} is a recycled object, so fan-out allocates nothing per recipient
     * (the adaptive allocator's buffers allocate a new duplicate each: 36 bytes per recipient in FanoutBenchmark),
     * and it is the allocator whose memory {@code netty_allocator_memory_used} reports.
     */
    static final ByteBufAllocator BUFFERS = PooledByteBufAllocator.DEFAULT;
    /**
     * The heap a single node's resume feeds may take together at worst (16 bytes an entry): the number of feeds is
     * capped at this over a full feed's size (docs/operations.md, bounds).
     */
    static final long LOCAL_FEED_MAX_BYTES = 64L * 1024 * 1024;
    /** How long {@link #close} waits for connections to close; they close at once unless a loop is stuck. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(InboxServer.class);

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final EventLoopGroup adminLoop;
    private final Channel publicChannel;
    private final Channel adminChannel;
    /** The admin port's open connections: a handful, closed with the node. */
    private final ChannelGroup adminConnections;

    private final Readiness readiness;
    private final UserGroups groups;
    private final Transport transport;
    private final Relay relay;
    private final Drain drain;
    /** The publish hook's client, or {@code null} without one; closed with the node. */
    private final PublishHook publishHook;
    /** The connect hook's client, or {@code null} without one. */
    private final HookClient connectHookClient;
    /** Users' presence and the subscriptions to it; closed after the connections. */
    private final Presence presence;

    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private InboxServer(
            EventLoopGroup boss,
            EventLoopGroup workers,
            EventLoopGroup adminLoop,
            Channel publicChannel,
            Channel adminChannel,
            ChannelGroup adminConnections,
            Readiness readiness,
            UserGroups groups,
            Transport transport,
            Relay relay,
            Drain drain,
            PublishHook publishHook,
            HookClient connectHookClient,
            Presence presence) {
        this.presence = presence;
        this.publishHook = publishHook;
        this.connectHookClient = connectHookClient;
        this.relay = relay;
        this.drain = drain;
        this.boss = boss;
        this.workers = workers;
        this.adminLoop = adminLoop;
        this.publicChannel = publicChannel;
        this.adminChannel = adminChannel;
        this.adminConnections = adminConnections;
        this.readiness = readiness;
        this.groups = groups;
        this.transport = transport;
    }

    /**
     * Builds and binds a node.
     *
     * @throws ConfigException when a setting only turns out bad now (an unusable key file, a port in use)
     */
    public static InboxServer start(GatewayConfig config) throws ConfigException, InterruptedException {
        return start(config, null);
    }

    /**
     * Builds and binds a node whose upgraded connections end in {@code endpoint} instead of the router's
     * {@link InboxFrameHandler}; everything else, the public pipeline in front of the endpoint included, is the
     * production node's. The seam for the conformance test ({@code AutobahnIT}), which puts an echo there.
     *
     * @param endpoint the last handler of every upgraded connection, or {@code null} for the router's
     */
    /**
     * Event loops for the public port: {@code configured}, or one per core when 0. Not Netty's default of two per
     * core: the loops never block, so a second loop per core only adds wake-ups and splits each message's fan-out
     * into more batches. With the load generator's group scenario on the two-core reference machine (200 000
     * deliveries/s), two loops spent 3.3 us of CPU per delivery at p99 6 ms; four spent 4.7 us at p99 11 ms
     * (benchmarks/RESULTS.md).
     */
    static int workerThreads(int configured) {
        return configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
    }

    /** How many users' feeds fit {@link #LOCAL_FEED_MAX_BYTES} when each is full; at least 1 000. */
    static int localFeedMaxUsers(int feedMaxLength) {
        return (int) Math.max(1_000, LOCAL_FEED_MAX_BYTES / (16L * Math.max(1, feedMaxLength)));
    }

    /** A resume reads the events it replays from the conversations' histories. */
    private static ReplaySource replaySource(ConversationHistory history) {
        return (conversationId, after, limit) -> history.after(conversationId, after, limit)
                .thenApply(page -> new ReplaySource.Page(
                        page.events().stream()
                                .map(e -> new ReplaySource.Event(e.messageId(), e.frame()))
                                .toList(),
                        page.trimmed()));
    }

    static InboxServer start(GatewayConfig config, InboxEndpoint endpoint)
            throws ConfigException, InterruptedException {
        GatewayConfig.Hooks hooks = config.hooks();
        // The publish hook is sent each sender's token claims: only then does a connection keep them.
        TokenVerifier verifier =
                config.auth().hasKey() ? new TokenVerifier(config.auth(), hooks.publish() != null) : null;
        Authenticator authenticator =
                new Authenticator(verifier, config.auth().tokenCookie(), config.dev(), hooks.connect() != null);
        OriginPolicy origins = new OriginPolicy(config.auth().allowedOrigins());

        Transport transport = Transport.of(config.listen().transport());
        UserGroups groups = new UserGroups();
        Readiness readiness = new Readiness();
        GatewayMetrics metrics = new GatewayMetrics();
        Relay relay = config.clustered()
                ? new RedisRelay(
                        config.redis(),
                        config.history(),
                        config.resume(),
                        groups,
                        readiness,
                        config.dev(),
                        config.dedup(),
                        metrics)
                : new LocalRelay(
                        config.dev(),
                        config.history(),
                        config.dedup(),
                        metrics,
                        config.resume().feedMaxLength(),
                        localFeedMaxUsers(config.resume().feedMaxLength()));
        // An answer takes at most half the connection's outbound bound, so one page never makes a reader slow.
        HistoryReader historyReader = new HistoryReader(
                relay.history(), config.history().pageMax(), config.inbox().maxOutboundBytes() / 2);
        if (relay instanceof LocalRelay local && local.localHistory() != null) {
            metrics.localHistory(local.localHistory()::bytes, local.localHistory()::evictedHistories);
        }
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(
                1, new DefaultThreadFactory("inbox-accept"), transport.ioHandlerFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(
                workerThreads(config.listen().workerThreads()),
                new DefaultThreadFactory("inbox-io"),
                transport.ioHandlerFactory());
        EventLoopGroup adminLoop = new MultiThreadIoEventLoopGroup(
                1, new DefaultThreadFactory("inbox-admin"), transport.ioHandlerFactory());
        // The hooks' connections live on the node's own loops (HookClient says why not the JDK's HttpClient).
        PublishHook publishHook = hooks.publish() == null
                ? null
                : new PublishHook(
                        new HookClient(
                                "publish",
                                hooks.publish(),
                                hooks.secret(),
                                hooks.timeout(),
                                hooks.maxInFlight(),
                                hooks.maxConnections(),
                                workers,
                                transport.socketChannel(),
                                metrics,
                                readiness),
                        config.inbox().maxMessageChars(),
                        hooks.maxInFlight());
        HookClient connectHookClient = hooks.connect() == null
                ? null
                : new HookClient(
                        "connect",
                        hooks.connect(),
                        hooks.secret(),
                        hooks.timeout(),
                        hooks.maxInFlight(),
                        hooks.maxConnections(),
                        workers,
                        transport.socketChannel(),
                        metrics,
                        readiness);
        ConnectHook connectHook = connectHookClient == null ? null : new ConnectHook(connectHookClient);
        Presence presence = null;
        try {
            EventLoops loops = new EventLoops(workers);
            ServerFrameEncoder encoder = new ServerFrameEncoder();
            Drain drain = new Drain(config.drain(), readiness, groups);
            ConnectionGate gate = new ConnectionGate(config.limits(), groups, readiness, metrics, drain);
            metrics.gauges(groups::connectionCount, groups::userCount);
            metrics.eventLoops(workers);
            ConversationRouter router =
                    new ConversationRouter(relay.admission(), loops, groups, encoder, BUFFERS, metrics, publishHook);
            relay.start(router);
            ReadPositions readPositions = relay instanceof RedisRelay redis
                    ? redis.readPositions()
                    : new LocalReadPositions(relay.membership(), ((LocalRelay) relay)::lastMessageId);
            GatewayConfig.Events events = config.events();
            ReceiptRequests receipts = new ReceiptRequests(
                    readPositions,
                    new UnreadCounter(relay.history(), events.unreadMax()),
                    relay,
                    router,
                    loops,
                    encoder,
                    BUFFERS,
                    metrics.events(),
                    events.unreadMaxConversations(),
                    events.readInterval());
            TypingRequests typing = new TypingRequests(
                    relay.membership(),
                    relay,
                    router,
                    loops,
                    encoder,
                    BUFFERS,
                    metrics.events(),
                    events.typingInterval());
            ClientMessageDecoder decoder = new ClientMessageDecoder(
                    config.inbox().maxMessageChars(), config.inbox().maxFrameBytes());
            presence = presence(config, relay, groups, encoder, metrics);
            InboxEndpoint last = endpoint != null
                    ? endpoint
                    : new InboxFrameHandler(
                            decoder,
                            router,
                            groups,
                            config.limits().messagesPerSecond(),
                            config.limits().messageBurst(),
                            new HistoryRequests(relay.membership(), historyReader, encoder, metrics),
                            new Resumer(
                                    relay.feed(),
                                    replaySource(relay.history()),
                                    relay.membership(),
                                    config.resume().maxConversations(),
                                    config.resume().maxEvents(),
                                    config.resume().concurrency(),
                                    config.resume().maxWaiting(),
                                    config.resume().maxWait(),
                                    metrics),
                            new PresenceRequestDecoder(config.presence().maxSubscriptions()),
                            new PresenceRequests(
                                    presence,
                                    presence.meters(),
                                    config.presence().ratePerSecond()),
                            typing,
                            receipts,
                            events.perSecond(),
                            events.burst());

            Channel publicChannel = bind(
                    new ServerBootstrap()
                            .group(boss, workers)
                            .channel(transport.serverChannel())
                            .option(ChannelOption.SO_BACKLOG, 4096)
                            .childOption(ChannelOption.TCP_NODELAY, true)
                            .childOption(ChannelOption.ALLOCATOR, BUFFERS)
                            // One allocator object for all (by default each connection gets its own, 32 bytes), and
                            // a handle of 40 bytes per connection rather than Netty's adaptive one of 112.
                            .childOption(ChannelOption.RCVBUF_ALLOCATOR, new CompactRecvByteBufAllocator())
                            // The per-connection outbound bound: unwritable past it (slow), writable again below half.
                            .childOption(
                                    ChannelOption.WRITE_BUFFER_WATER_MARK,
                                    new WriteBufferWaterMark(
                                            config.inbox().maxOutboundBytes() / 2,
                                            config.inbox().maxOutboundBytes()))
                            .childHandler(new InboxChannelInitializer(
                                    config.inbox(),
                                    authenticator,
                                    origins,
                                    last,
                                    loops,
                                    encoder,
                                    metrics,
                                    gate,
                                    config.listen(),
                                    connectHook)),
                    config.listen().bind(),
                    config.listen().port(),
                    "port");
            ChannelGroup adminConnections = new DefaultChannelGroup("admin", GlobalEventExecutor.INSTANCE);
            AdminHandler adminHandler = new AdminHandler(
                    relay.membership(),
                    router,
                    readiness,
                    metrics,
                    config.admin().maxMembers(),
                    config.inbox().maxMessageChars(),
                    historyReader,
                    presence.store(),
                    receipts);
            Channel adminChannel = bind(
                    new ServerBootstrap()
                            .group(adminLoop)
                            .channel(transport.serverChannel())
                            .childOption(ChannelOption.TCP_NODELAY, true)
                            .childHandler(new AdminChannelInitializer(
                                    adminHandler, config.admin(), metrics, adminConnections)),
                    config.listen().adminBind(),
                    config.listen().adminPort(),
                    "admin-port");
            readiness.ready();
            return new InboxServer(
                    boss,
                    workers,
                    adminLoop,
                    publicChannel,
                    adminChannel,
                    adminConnections,
                    readiness,
                    groups,
                    transport,
                    relay,
                    drain,
                    publishHook,
                    connectHookClient,
                    presence);
        } catch (ConfigException | InterruptedException | RuntimeException e) {
            if (presence != null) {
                presence.close();
            }
            relay.close();
            if (publishHook != null) {
                publishHook.close();
            }
            if (connectHookClient != null) {
                connectHookClient.close();
            }
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            adminLoop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** Presence in Redis when the node relays through one (standalone or cluster); in memory on a single node. */
    private static Presence presence(
            GatewayConfig config, Relay relay, UserGroups groups, ServerFrameEncoder encoder, GatewayMetrics metrics) {
        Presence[] built = new Presence[1];
        PresenceMeters meters = metrics.presence(() -> built[0] == null ? 0 : built[0].subscriptionCount());
        PresenceStore store;
        if (config.clustered()) {
            store = new RedisPresence(
                    config.redis(),
                    config.presence().timeout(),
                    config.presence().debounce(),
                    meters);
        } else {
            store = new LocalPresence(meters);
        }
        built[0] = new Presence(
                store,
                groups,
                relay.membership(),
                encoder,
                BUFFERS,
                meters,
                config.presence().debounce(),
                config.presence().maxSubscriptions());
        return built[0];
    }

    private static Channel bind(ServerBootstrap bootstrap, String host, int port, String setting)
            throws ConfigException, InterruptedException {
        try {
            return bootstrap.bind(host, port).sync().channel();
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new ConfigException(
                    setting + ": cannot listen on " + host + ":" + port + " (" + e.getMessage() + ")");
        }
    }

    /** Each conversation's recent events, as this node reads them (Redis with a relay, memory without). */
    public ConversationHistory history() {
        return relay.history();
    }

    /** The bound public port (the chosen one when configured as 0). */
    public int port() {
        return ((InetSocketAddress) publicChannel.localAddress()).getPort();
    }

    /** The bound admin port. */
    public int adminPort() {
        return ((InetSocketAddress) adminChannel.localAddress()).getPort();
    }

    /** The transport in use: IO_URING, EPOLL or NIO. */
    public String transport() {
        return transport.name();
    }

    /** Open WebSocket connections. */
    public int connectionCount() {
        return groups.connectionCount();
    }

    /** Users with at least one open connection. */
    public int userCount() {
        return groups.userCount();
    }

    /**
     * The SIGTERM path: readiness fails, upgrades are refused after the drain delay, connections are closed with 1001
     * spread over the window, then the node stops; all before the drain deadline. Blocks the calling thread.
     */
    public void drainAndClose() {
        drain.run();
        close();
    }

    /** Stops at once: closes every connection and frees the event loops. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        readiness.notReady("shutting down");
        publicChannel.close().syncUninterruptibly();
        adminChannel.close().syncUninterruptibly();
        closeConnections();
        presence.close();
        relay.close();
        if (publishHook != null) {
            publishHook.close();
        }
        if (connectHookClient != null) {
            connectHookClient.close();
        }
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        adminLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        boss.terminationFuture().syncUninterruptibly();
        workers.terminationFuture().syncUninterruptibly();
        adminLoop.terminationFuture().syncUninterruptibly();
        log.info("stopped");
    }

    /**
     * Closes the WebSocket and admin connections and waits until they are closed, before the loops stop: an io_uring
     * channel that is still open when its loop stops can leave its receive buffer unreleased. A connection still in
     * its handshake is not counted here; the loop closes it as it stops.
     */
    private void closeConnections() {
        List<Future<?>> closing = new ArrayList<>();
        for (InboxSession session : groups.allSessions()) {
            closing.add(session.channel().close());
        }
        closing.add(adminConnections.close());
        long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
        for (Future<?> f : closing) {
            f.awaitUninterruptibly(Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
    }
}
