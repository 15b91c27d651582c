package dev.inbox.benchmarks.loadgen;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The load generator's client side: its event loops ({@code --threads}, NIO), one {@link LoadWorker} per loop, and
 * the opening of connections with a bound on handshakes in flight. A user's connections go to its node
 * ({@code --nodes}, round-robin by user); connection {@code i} binds source address {@code i mod n} of
 * {@code --source-addresses}, since one source address has at most ~64k ports towards one node.
 *
 * <p>{@link #connect} and {@link #awaitSettled} run on the caller's thread (never an event loop) and block it.
 */
final class ConnectionFleet implements AutoCloseable {
    /** Upgrade responses are a status line, a few headers and at most a short JSON refusal. */
    private static final int MAX_RESPONSE_BYTES = 8192;

    private static final int MAX_FRAME_BYTES = 1 << 20;
    /** The event-loop threads' names start with this (and so does their Linux {@code comm}). */
    static final String THREAD_PREFIX = "loadgen-";

    private final LoadOptions options;
    private final EventLoopGroup group;
    private final LoadWorker[] workers;
    private final Credentials credentials;
    private final List<InetSocketAddress> remotes = new ArrayList<>();
    private final Bootstrap base;
    private final Semaphore inFlight;
    private int attempted;

    ConnectionFleet(LoadOptions options) {
        this.options = options;
        this.group = new MultiThreadIoEventLoopGroup(
                options.threads(),
                new DefaultThreadFactory(THREAD_PREFIX.substring(0, THREAD_PREFIX.length() - 1)),
                options.epoll() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        List<LoadWorker> ws = new ArrayList<>();
        for (EventExecutor e : group) {
            ws.add(new LoadWorker((EventLoop) e, options.messageChars(), options.scenario() == Scenario.MIXED));
        }
        this.workers = ws.toArray(new LoadWorker[0]);
        // Tokens outlive the whole run with a margin.
        this.credentials = new Credentials(
                options.jwtSecret(),
                Duration.ofHours(1)
                        .plus(options.warmup())
                        .plus(options.duration())
                        .plus(options.drain()));
        for (URI node : options.nodes()) {
            remotes.add(new InetSocketAddress(node.getHost(), node.getPort()));
        }
        this.base = new Bootstrap()
                .channel(options.epoll() ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        Math.min(Integer.MAX_VALUE, options.handshakeTimeout().toMillis()));
        this.inFlight = new Semaphore(options.connectConcurrency());
    }

    LoadWorker[] workers() {
        return workers;
    }

    int attempted() {
        return attempted;
    }

    /**
     * Opens one connection of user {@code userIndex} (id = index + 1) on {@code worker}'s loop; returns once it is
     * under way, blocking while {@code --connect-concurrency} handshakes are already in flight.
     */
    void connect(LoadWorker worker, ConversationState conversation, int slot, int userIndex)
            throws InterruptedException {
        long userId = userIndex + 1L;
        int node = userIndex % remotes.size();
        URI uri = credentials.uri(options.nodes().get(node), userId);
        WebSocketClientHandshaker handshaker = WebSocketClientHandshakerFactory.newHandshaker(
                uri,
                WebSocketVersion.V13,
                null,
                false,
                credentials.headers(userId),
                MAX_FRAME_BYTES,
                true /* mask every frame, RFC 6455 §5.3 */,
                false,
                10_000L,
                false,
                false /* no Origin header: not a browser */);
        inFlight.acquire();
        long start = System.nanoTime();
        LoadConnection conn = new LoadConnection(
                worker,
                conversation,
                slot,
                handshaker,
                start,
                options.handshakeTimeout().toNanos(),
                inFlight::release);
        Bootstrap b = base.clone(worker.loop()).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_RESPONSE_BYTES), conn);
            }
        });
        List<InetAddress> sources = options.sourceAddresses();
        ChannelFuture f = sources.isEmpty()
                ? b.connect(remotes.get(node))
                : b.connect(remotes.get(node), new InetSocketAddress(sources.get(attempted % sources.size()), 0));
        attempted++;
        f.addListener(done -> {
            if (!done.isSuccess()) {
                conn.connectFailed(done.cause());
            }
        });
    }

    /** Waits until every connection opened or failed; each settles within the handshake timeout. */
    void awaitSettled() throws InterruptedException {
        long bound = options.handshakeTimeout().toMillis() + 30_000;
        if (!inFlight.tryAcquire(options.connectConcurrency(), bound, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("connections still unsettled after " + bound + " ms");
        }
        inFlight.release(options.connectConcurrency());
    }

    /** Runs {@code action} on every loop and waits for all of them. */
    void onEveryLoop(java.util.function.Consumer<LoadWorker> action) throws InterruptedException {
        List<io.netty.util.concurrent.Future<?>> futures = new ArrayList<>();
        for (LoadWorker w : workers) {
            futures.add(w.loop().submit(() -> action.accept(w)));
        }
        for (io.netty.util.concurrent.Future<?> f : futures) {
            try {
                f.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new IllegalStateException("a load-generator loop failed", e.getCause());
            } catch (TimeoutException e) {
                throw new IllegalStateException("a load-generator loop did not answer within 30 s");
            }
        }
    }

    /** Every loop's results, added up. */
    RunTotals totals() throws InterruptedException {
        RunTotals t = new RunTotals();
        t.attempted = attempted;
        // One loop at a time: addTo writes into t, and each get() orders that write before the next.
        for (LoadWorker w : workers) {
            try {
                w.loop().submit(() -> w.addTo(t)).get(30, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("collecting results from a load-generator loop", e);
            }
        }
        return t;
    }

    /** Closes every connection with 1000 and stops the loops. */
    @Override
    public void close() throws InterruptedException {
        try {
            onEveryLoop(LoadWorker::closeAll);
        } finally {
            group.shutdownGracefully(100, 5_000, TimeUnit.MILLISECONDS).await(10, TimeUnit.SECONDS);
        }
    }
}
