package dev.inbox.gateway.inbox;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Keeps connections honest, one sweep per event loop rather than one timer per connection (an idle connection's
 * memory is a published figure, and a scheduled task is 90 bytes of it). Every {@link #tick}, each loop walks its
 * connections: one quiet for a ping interval (nothing read, a pong included) is pinged, and again every interval
 * while the quiet lasts; one silent for the idle timeout is closed with 4000; one whose token has expired, with 4501.
 * So each of these comes at most one tick late. Time is the loop's ticker: the system clock in production, a test's
 * controllable clock in tests. Thread-safe; each loop's list is touched by that loop only.
 */
public final class Keepalive {
    /** Finest and coarsest sweep: a tenth of the shortest interval, within these. */
    private static final long MIN_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private static final long MAX_TICK_NANOS = TimeUnit.SECONDS.toNanos(1);

    final long pingIntervalNanos;
    final long idleTimeoutNanos;
    final long tickNanos;
    private final Map<EventExecutor, Sweep> sweeps = new ConcurrentHashMap<>();

    public Keepalive(Duration pingInterval, Duration idleTimeout) {
        this.pingIntervalNanos = pingInterval.toNanos();
        this.idleTimeoutNanos = idleTimeout.toNanos();
        this.tickNanos =
                Math.max(MIN_TICK_NANOS, Math.min(MAX_TICK_NANOS, Math.min(pingIntervalNanos, idleTimeoutNanos) / 10));
    }

    /** How late a ping or a close may come: the sweep's period. */
    public Duration tick() {
        return Duration.ofNanos(tickNanos);
    }

    /** On the connection's loop: its loop checks it from now on. */
    void watch(ConnectionHandler connection, ChannelHandlerContext ctx) {
        sweeps.computeIfAbsent(ctx.executor(), Sweep::new).add(connection);
    }

    /** On the connection's loop: no more checks. */
    void forget(ConnectionHandler connection, ChannelHandlerContext ctx) {
        Sweep sweep = sweeps.get(ctx.executor());
        if (sweep != null) {
            sweep.remove(connection);
        }
    }

    /** One loop's connections, a list linked through them, and the task that walks it. */
    private final class Sweep implements Runnable {
        private final EventExecutor loop;
        private ConnectionHandler head;
        private boolean scheduled;

        Sweep(EventExecutor loop) {
            this.loop = loop;
        }

        void add(ConnectionHandler c) {
            if (watched(c)) {
                return;
            }
            c.nextWatched = head;
            c.prevWatched = null;
            if (head != null) {
                head.prevWatched = c;
            }
            head = c;
            if (!scheduled) {
                scheduled = true;
                loop.schedule(this, tickNanos, TimeUnit.NANOSECONDS);
            }
        }

        /** In this list: no flag on the connection, since a field is bytes on every idle one. */
        private boolean watched(ConnectionHandler c) {
            return c.prevWatched != null || head == c;
        }

        void remove(ConnectionHandler c) {
            if (!watched(c)) {
                return;
            }
            if (c.prevWatched != null) {
                c.prevWatched.nextWatched = c.nextWatched;
            } else {
                head = c.nextWatched;
            }
            if (c.nextWatched != null) {
                c.nextWatched.prevWatched = c.prevWatched;
            }
            c.prevWatched = c.nextWatched = null;
        }

        @Override
        public void run() {
            long now = loop.ticker().nanoTime();
            for (ConnectionHandler c = head; c != null; ) {
                ConnectionHandler next = c.nextWatched; // c may leave the list as it is closed
                check(c, now);
                c = next;
            }
            if (head == null || loop.isShuttingDown()) {
                scheduled = false; // the next connection to arrive starts it again
                return;
            }
            loop.schedule(this, tickNanos, TimeUnit.NANOSECONDS);
        }

        private void check(ConnectionHandler c, long now) {
            ChannelHandlerContext ctx = c.ctx;
            if (ctx == null || !ctx.channel().isActive()) {
                remove(c);
                return;
            }
            if (c.expiresAtNanos != ConnectionHandler.NEVER && now - c.expiresAtNanos >= 0) {
                remove(c);
                c.tokenExpired();
                return;
            }
            long quiet = now - c.lastReadNanos;
            if (quiet >= idleTimeoutNanos) {
                remove(c);
                c.idle();
                return;
            }
            if (quiet >= pingIntervalNanos && now - c.lastPingNanos >= pingIntervalNanos) {
                c.lastPingNanos = now;
                c.writeControl(new PingWebSocketFrame());
            }
        }
    }
}
