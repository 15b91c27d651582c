package dev.inbox.gateway.hook;

import dev.inbox.gateway.health.Readiness;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.metrics.HookMeters;
import dev.inbox.gateway.metrics.HookOutcome;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls one backend hook: a signed JSON POST over kept-alive HTTP/1.1 connections that live on the node's own event
 * loops, with a timeout, a bound on calls in flight and on the answer's size, and meters. Never blocks the caller:
 * {@link #post} returns at once and its future completes on an event loop (the caller's own when it is one of them),
 * so what follows it must not block either.
 *
 * <p>Each loop keeps its own idle connections, touched by that loop only: a call takes one (or opens one) on the
 * loop it runs on, and its connection goes back when the answer is read whole. Connections are never shared by two
 * calls at once, so there are at most as many as calls in flight; an idle one is closed after {@link #IDLE_CLOSE}.
 * Not the JDK's {@code HttpClient}: on a machine with two cores it hands every completed call to a new thread
 * (CompletableFuture's fallback when the common pool has one thread), which capped the publish hook below
 * 1 000 calls/s (benchmarks/RESULTS.md, "The backend in the loop").
 *
 * <p>The host name is resolved off the loops (at start and every {@link #RESOLVE_EVERY}), so a slow DNS cannot stall
 * one. While the hook cannot be reached (at start, or after a call found it unreachable) {@code /readyz} says so, and
 * a TCP probe retries until it can; any answer, whatever its status, clears it. Thread-safe.
 */
public final class HookClient implements AutoCloseable {
    /** Largest answer body read; past it the call is {@link HookOutcome#MALFORMED}. */
    public static final int MAX_RESPONSE_BYTES = 64 * 1024;
    /** An idle connection is closed after this: before most backends (30 s and up) close it under a new call. */
    static final Duration IDLE_CLOSE = Duration.ofSeconds(20);

    private static final Logger log = LoggerFactory.getLogger(HookClient.class);
    private static final Duration PROBE_INTERVAL = Duration.ofSeconds(2);
    private static final Duration RESOLVE_EVERY = Duration.ofSeconds(30);
    /** How long {@link #close} waits for the connections to close; they close at once unless a loop is stuck. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

    private final String name;
    private final URI url;
    private final String hostHeader;
    private final String target;
    private final HookSigner signer;
    private final Duration timeout;
    private final int maxInFlight;
    /** Connections each loop may have open or opening: its share of {@code --hook-max-connections}. */
    private final int connectionsPerLoop;

    private final HookMeters meters;
    private final Readiness readiness;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean probing = new AtomicBoolean();
    private final AtomicInteger nextLoop = new AtomicInteger();
    private final ScheduledExecutorService prober;
    private final EventLoop[] loops;
    private final Bootstrap[] bootstraps;
    /** Per loop, its idle connections, most recently used last. Touched by that loop only. */
    private final ArrayDeque<Channel>[] idle;
    /** Per loop, calls waiting for a connection while all it may open are busy, oldest first. That loop only. */
    private final ArrayDeque<HookCall>[] waiting;
    /** Per loop, its connections open or being opened. That loop only. */
    private final int[] open;
    /**
     * Every connection open or being opened, so {@link #close} can close them and wait: a connection still open when
     * its loop stops may hold a receive buffer nobody frees (io_uring).
     */
    private final ChannelGroup channels = new DefaultChannelGroup("hook", GlobalEventExecutor.INSTANCE);
    /** The hook's address, resolved off the loops; {@code null} until the first resolution succeeds. */
    private volatile InetSocketAddress address;

    private volatile boolean closed;

    /**
     * @param name        which hook: {@code publish} or {@code connect}; names its meters and readiness condition
     * @param maxConnections connections this hook may have open at once, shared evenly by the loops (at least one
     *                    each)
     * @param loops       the event loops the connections live on: the node's own
     * @param channelType the socket channel class of their transport
     */
    @SuppressWarnings("unchecked")
    public HookClient(
            String name,
            URI url,
            byte[] secret,
            Duration timeout,
            int maxInFlight,
            int maxConnections,
            EventLoopGroup loops,
            Class<? extends SocketChannel> channelType,
            GatewayMetrics metrics,
            Readiness readiness) {
        this.name = name;
        this.url = url;
        this.hostHeader = url.getPort() > 0 ? url.getHost() + ":" + url.getPort() : url.getHost();
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        this.target = url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
        this.signer = new HookSigner(secret);
        this.timeout = timeout;
        this.maxInFlight = maxInFlight;
        this.readiness = readiness;
        this.meters = metrics.hook(name, inFlight::get);
        SslContext tls = "https".equalsIgnoreCase(url.getScheme()) ? tls() : null;
        List<EventLoop> each = new ArrayList<>();
        for (EventExecutor e : loops) {
            each.add((EventLoop) e);
        }
        this.loops = each.toArray(new EventLoop[0]);
        this.bootstraps = new Bootstrap[this.loops.length];
        this.idle = new ArrayDeque[this.loops.length];
        this.waiting = new ArrayDeque[this.loops.length];
        this.open = new int[this.loops.length];
        this.connectionsPerLoop = Math.max(1, maxConnections / this.loops.length);
        for (int i = 0; i < this.loops.length; i++) {
            int index = i;
            idle[i] = new ArrayDeque<>();
            waiting[i] = new ArrayDeque<>();
            bootstraps[i] = new Bootstrap()
                    .group(this.loops[i])
                    .channel(channelType)
                    // The address is resolved already (off the loops): the loop must never look a name up.
                    .resolver(NoopAddressResolverGroup.INSTANCE)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            if (tls != null) {
                                ch.pipeline().addLast(tls.newHandler(ch.alloc(), url.getHost(), port()));
                            }
                            ch.pipeline()
                                    .addLast(new HttpClientCodec())
                                    .addLast(new IdleStateHandler(0, 0, IDLE_CLOSE.toSeconds(), TimeUnit.SECONDS))
                                    .addLast(new HookConnection(HookClient.this, index));
                        }
                    });
        }
        this.prober = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "inbox-" + name + "-hook-probe");
            t.setDaemon(true);
            return t;
        });
        prober.scheduleWithFixedDelay(
                this::resolve, RESOLVE_EVERY.toMillis(), RESOLVE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        unreachable("not yet reached");
    }

    private SslContext tls() {
        try {
            return SslContextBuilder.forClient()
                    .endpointIdentificationAlgorithm("HTTPS")
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException(name + " hook: no TLS client available", e);
        }
    }

    String name() {
        return name;
    }

    /** Calls waiting for their answer now. */
    public int inFlight() {
        return inFlight.get();
    }

    public HookMeters meters() {
        return meters;
    }

    /**
     * POSTs {@code body} (JSON), signed, with {@code headers} (name, value, name, value...) added. Completes with the
     * answer, whatever its status (counted ok, refused or failed by status class), or exceptionally with a
     * {@link HookException}: timed out, unreachable, over the in-flight bound (at once, nothing sent), or an answer
     * body over {@link #MAX_RESPONSE_BYTES}. A caller that finds the answer unusable counts it with
     * {@link HookMeters#call}{@code (MALFORMED)}.
     */
    public CompletableFuture<HookResponse> post(byte[] body, String... headers) {
        return post(body, timeout, headers);
    }

    /** {@link #post(byte[], String...)} with a timeout of its own: tests hold one call while another times out. */
    CompletableFuture<HookResponse> post(byte[] body, Duration callTimeout, String... headers) {
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            meters.call(HookOutcome.OVERLOADED);
            return CompletableFuture.failedFuture(new HookException(
                    HookOutcome.OVERLOADED, name + " hook: " + maxInFlight + " calls already waiting"));
        }
        HookCall call;
        try {
            call = new HookCall(request(body, headers));
        } catch (RuntimeException e) {
            inFlight.decrementAndGet();
            meters.call(HookOutcome.UNREACHABLE);
            // The type only: the message may quote a forwarded header value (a cookie).
            return CompletableFuture.failedFuture(new HookException(
                    HookOutcome.UNREACHABLE,
                    name + " hook: request not sent (" + e.getClass().getSimpleName() + ")"));
        }
        int index = loopIndex();
        EventLoop loop = loops[index];
        if (loop.inEventLoop()) {
            start(call, index, callTimeout);
        } else {
            try {
                loop.execute(() -> start(call, index, callTimeout));
            } catch (RuntimeException e) { // the loops are shutting down
                ReferenceCountUtil.release(call.request);
                inFlight.decrementAndGet();
                meters.call(HookOutcome.UNREACHABLE);
                call.result.completeExceptionally(
                        new HookException(HookOutcome.UNREACHABLE, name + " hook: the node is stopping"));
            }
        }
        return call.result;
    }

    /** The signed request. Throws on a header value that cannot be sent (a control character). */
    private FullHttpRequest request(byte[] body, String... headers) {
        long seconds = System.currentTimeMillis() / 1000;
        FullHttpRequest request =
                new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, target, Unpooled.wrappedBuffer(body));
        HttpHeaders h = request.headers();
        h.set(HttpHeaderNames.HOST, hostHeader);
        h.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        h.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        h.set(HookSigner.TIMESTAMP_HEADER, Long.toString(seconds));
        h.set(HookSigner.SIGNATURE_HEADER, signer.sign(seconds, body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            h.add(headers[i], sendable(headers[i + 1]));
        }
        return request;
    }

    /** A forwarded value as it is, or an exception that does not quote it when it holds a control character. */
    private static String sendable(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7F || c > 0xFF) {
                throw new IllegalArgumentException("a header value holds a character HTTP cannot carry");
            }
        }
        return value;
    }

    /** The caller's own loop when it is one of ours (no hop), else the next. */
    private int loopIndex() {
        for (int i = 0; i < loops.length; i++) {
            if (loops[i].inEventLoop()) {
                return i;
            }
        }
        return Math.floorMod(nextLoop.getAndIncrement(), loops.length);
    }

    /**
     * On the call's loop: arms its timer and sends it on an idle connection, or on a new one while the loop may open
     * more, or else queues it for the next connection to come free.
     */
    private void start(HookCall call, int index, Duration callTimeout) {
        call.timer =
                loops[index].schedule(() -> timedOut(call, callTimeout), callTimeout.toNanos(), TimeUnit.NANOSECONDS);
        if (closed) {
            fail(call, new HookException(HookOutcome.UNREACHABLE, name + " hook: the node is stopping"));
            return;
        }
        for (Channel ch = idle[index].pollLast(); ch != null; ch = idle[index].pollLast()) {
            if (ch.isActive()) {
                send(ch, call);
                return;
            }
        }
        if (open[index] < connectionsPerLoop) {
            open(call, index);
        } else {
            waiting[index].addLast(call); // bounded by --hook-max-in-flight; its timer still runs
        }
    }

    /** On the loop: opens a connection for {@code call}, looking the host up first if that was never done. */
    private void open(HookCall call, int index) {
        open[index]++;
        InetSocketAddress to = address;
        if (to != null) {
            connect(call, index, to);
            return;
        }
        try { // not looked up yet (a call right after start): the lookup may block, so not here
            prober.execute(() -> {
                InetSocketAddress resolved = resolve();
                loops[index].execute(() -> {
                    if (resolved != null && !call.ended) {
                        connect(call, index, resolved);
                        return;
                    }
                    open[index]--;
                    fail(
                            call,
                            new HookException(
                                    HookOutcome.UNREACHABLE, name + " hook: cannot resolve " + url.getHost()));
                    openForWaiting(index);
                });
            });
        } catch (RuntimeException e) {
            open[index]--;
            fail(call, new HookException(HookOutcome.UNREACHABLE, name + " hook: the node is stopping"));
        }
    }

    private void connect(HookCall call, int index, InetSocketAddress to) {
        ChannelFuture connecting = bootstraps[index].connect(to);
        channels.add(connecting.channel());
        if (closed) { // close() ran between the check that let this call in and here
            connecting.channel().close();
        }
        connecting.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                // Never active, so its handler hears of no close: the count is given back here.
                open[index]--;
                fail(
                        call,
                        new HookException(
                                HookOutcome.UNREACHABLE,
                                name + " hook unreachable (" + f.cause().getMessage() + ")"));
                openForWaiting(index);
            } else if (call.ended) {
                release(f.channel(), f.channel().pipeline().get(HookConnection.class)); // timed out meanwhile
            } else {
                send(f.channel(), call);
            }
        });
    }

    private void send(Channel ch, HookCall call) {
        call.channel = ch;
        ch.pipeline().get(HookConnection.class).carry(call);
        ch.writeAndFlush(call.request).addListener(f -> {
            if (!f.isSuccess()) {
                ch.close(); // the connection's handler fails the call as it closes
            }
        });
    }

    private void timedOut(HookCall call, Duration callTimeout) {
        if (call.ended) {
            return;
        }
        fail(call, new HookException(HookOutcome.TIMEOUT, name + " hook did not answer within " + callTimeout));
        if (call.channel != null) {
            call.channel.close(); // an answer may still come: the connection cannot carry another call
        }
    }

    /** On its loop: a connection whose answer was read whole takes the oldest waiting call, or waits for one. */
    void release(Channel ch, HookConnection connection) {
        if (closed || !ch.isActive()) {
            ch.close();
            return;
        }
        HookCall next = nextWaiting(connection.loopIndex);
        if (next != null) {
            send(ch, next);
        } else {
            idle[connection.loopIndex].addLast(ch);
        }
    }

    /** On its loop: a connection that closed leaves its loop's idle ones, and makes room for a waiting call. */
    void closed(Channel ch, HookConnection connection) {
        int index = connection.loopIndex;
        idle[index].remove(ch);
        open[index]--;
        openForWaiting(index);
    }

    /** On the loop: opens connections for waiting calls while it may. */
    private void openForWaiting(int index) {
        while (!closed && open[index] < connectionsPerLoop) {
            HookCall next = nextWaiting(index);
            if (next == null) {
                return;
            }
            open(next, index);
        }
    }

    private HookCall nextWaiting(int index) {
        for (HookCall c = waiting[index].pollFirst(); c != null; c = waiting[index].pollFirst()) {
            if (!c.ended) {
                return c; // one that timed out while waiting was answered already
            }
        }
        return null;
    }

    /** Ends a call with an answer. */
    void finish(HookCall call, HookResponse response) {
        if (!end(call)) {
            return;
        }
        answered(call.startedNanos);
        meters.call(response.ok() ? HookOutcome.OK : response.refused() ? HookOutcome.REFUSED : HookOutcome.FAILED);
        call.result.complete(response);
    }

    /** Ends a call without a usable answer. */
    void fail(HookCall call, HookException e) {
        if (!end(call)) {
            return;
        }
        if (e.outcome() == HookOutcome.MALFORMED) {
            answered(call.startedNanos);
        } else if (e.outcome() == HookOutcome.UNREACHABLE) {
            unreachable(e.getMessage());
        }
        meters.call(e.outcome());
        call.result.completeExceptionally(e);
    }

    private boolean end(HookCall call) {
        if (call.ended) {
            return false;
        }
        call.ended = true;
        inFlight.decrementAndGet();
        if (call.timer != null) {
            call.timer.cancel(false);
        }
        if (call.channel == null && call.request.refCnt() > 0) {
            ReferenceCountUtil.release(call.request); // never handed to a connection, which would have released it
        }
        return true;
    }

    private void answered(long startedNanos) {
        meters.answeredIn(System.nanoTime() - startedNanos);
        readiness.set(condition(), null);
    }

    private String condition() {
        return name + "-hook";
    }

    /** Reports not-ready and probes until a TCP connection to the hook succeeds. */
    private void unreachable(String why) {
        readiness.set(condition(), name + " hook " + url.getHost() + ":" + port() + " unreachable: " + why);
        if (probing.compareAndSet(false, true)) {
            try {
                prober.execute(this::probe);
            } catch (RuntimeException e) {
                probing.set(false); // closed
            }
        }
    }

    /** On the probe thread: looks the host up again, keeping the last address when the lookup fails. */
    private InetSocketAddress resolve() {
        try {
            InetSocketAddress resolved = new InetSocketAddress(InetAddress.getByName(url.getHost()), port());
            address = resolved;
            return resolved;
        } catch (UnknownHostException | RuntimeException e) {
            log.warn("{} hook: cannot resolve {}: {}", name, url.getHost(), e.toString());
            return address;
        }
    }

    private void probe() {
        try (Socket s = new Socket()) {
            InetSocketAddress to = resolve();
            if (to == null) {
                throw new UnknownHostException(url.getHost());
            }
            s.connect(to, (int) Math.max(1, timeout.toMillis()));
            probing.set(false);
            readiness.set(condition(), null);
        } catch (IOException | RuntimeException e) {
            log.warn("{} hook {}:{} unreachable: {}", name, url.getHost(), port(), e.toString());
            readiness.set(condition(), name + " hook " + url.getHost() + ":" + port() + " unreachable: " + e);
            if (!prober.isShutdown()) {
                prober.schedule(this::probe, PROBE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    private int port() {
        if (url.getPort() > 0) {
            return url.getPort();
        }
        return "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
    }

    /**
     * Stops probing, closes every connection and waits until they are closed; calls in flight end with their
     * connections, waiting ones with their timers.
     */
    @Override
    public void close() {
        closed = true;
        prober.shutdownNow();
        // Connects under way are in the group too: closing them fails their calls as unreachable.
        channels.close().awaitUninterruptibly(CLOSE_WAIT.toMillis());
    }
}
