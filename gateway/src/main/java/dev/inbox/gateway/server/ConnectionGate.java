package dev.inbox.gateway.server;

import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.gateway.auth.ClientAddressResolver;
import dev.inbox.gateway.auth.HandshakeGate;
import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.health.Readiness;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.metrics.HandshakeOutcome;
import dev.inbox.gateway.metrics.Limit;
import dev.inbox.gateway.routing.TokenBucket;
import dev.inbox.gateway.routing.UserGroups;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's connection limits, checked from accept until the upgrade, before any WebSocket exists:
 * <ul>
 *   <li>one TCP peer holding {@code --max-connections-per-ip} sockets not yet upgraded: the next is refused at
 *       accept with 429, before any request is read ({@link AddressPendingLimit}; not counted for trusted proxies or
 *       with PROXY protocol, where the peer is the load balancer);</li>
 *   <li>draining (past the drain delay) or full ({@code --max-connections}): 503, and {@code /readyz} fails while
 *       full so the balancer routes elsewhere;</li>
 *   <li>one client address handshaking faster than {@code --max-handshakes-per-ip} a second, or holding
 *       {@code --max-connections-per-ip}: 429;</li>
 *   <li>one user holding {@code --max-connections-per-user} on this node: 429 (the new connection is refused; the
 *       open ones are kept, since they are in use).</li>
 * </ul>
 * An admitted connection counts against the node and its address until its channel closes. The per-user check reads
 * the user's group, so two handshakes of one user in the same instant may both pass; every other count is exact.
 * Thread-safe: handshakes run on every event loop.
 */
final class ConnectionGate implements HandshakeGate {
    /** One listener for every connection, not a lambda each: the address is the channel's own attribute. */
    private final ChannelFutureListener releaseOnClose =
            f -> release(f.channel().attr(ClientAddressResolver.CLIENT).get());

    private final GatewayConfig.Limits limits;
    private final UserGroups groups;
    private final Readiness readiness;
    private final GatewayMetrics metrics;
    private final Drain drain;
    private final AtomicInteger admitted = new AtomicInteger();
    private final ConcurrentMap<InetAddress, Address> addresses = new ConcurrentHashMap<>();
    /**
     * Sockets not yet upgraded, per TCP peer (no request has been read, so there is no client address yet). An
     * address is here only while it has one: the map holds at most the sockets open.
     */
    private final ConcurrentMap<InetAddress, Integer> pending = new ConcurrentHashMap<>();
    /** Handshakes since the last sweep of idle addresses. */
    private final AtomicInteger sinceSweep = new AtomicInteger();
    /** Sweep idle addresses every this many handshakes: bounds the map to live and recent clients. */
    private static final int SWEEP_EVERY = 1024;

    /** One client address: its open connections and its handshake bucket; guarded by itself. */
    private static final class Address {
        int connections;
        final TokenBucket handshakes;

        Address(GatewayConfig.Limits limits, long now) {
            handshakes = new TokenBucket(limits.handshakesPerAddress(), limits.handshakesPerAddress(), now);
        }
    }

    ConnectionGate(
            GatewayConfig.Limits limits, UserGroups groups, Readiness readiness, GatewayMetrics metrics, Drain drain) {
        this.limits = limits;
        this.groups = groups;
        this.readiness = readiness;
        this.metrics = metrics;
        this.drain = drain;
    }

    /**
     * Counts a new socket from {@code peer} until {@link #leavePending}; false, and a hit of
     * {@link Limit#ADDRESS_PENDING}, when the peer already holds {@code --max-connections-per-ip} sockets not yet
     * upgraded.
     */
    boolean enterPending(InetAddress peer) {
        boolean[] entered = new boolean[1];
        pending.compute(peer, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= limits.perAddress()) {
                return n;
            }
            entered[0] = true;
            return now + 1;
        });
        if (!entered[0]) {
            metrics.limitHit(Limit.ADDRESS_PENDING);
        }
        return entered[0];
    }

    /** A socket counted by {@link #enterPending} was upgraded or closed. */
    void leavePending(InetAddress peer) {
        pending.computeIfPresent(peer, (k, n) -> n > 1 ? n - 1 : null);
    }

    @Override
    public Refusal beforeAuthentication(Channel channel, InetAddress client) {
        if (drain.refusingUpgrades()) {
            return new Refusal(
                    HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "draining",
                    "this node is shutting down; connect again (another node will answer)",
                    HandshakeOutcome.UNAVAILABLE);
        }
        if (admitted.get() >= limits.perNode()) {
            metrics.limitHit(Limit.NODE_CONNECTIONS);
            return new Refusal(
                    HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "node_full",
                    "this node is at its connection limit; connect again (another node will answer)",
                    HandshakeOutcome.UNAVAILABLE);
        }
        if (sinceSweep.incrementAndGet() >= SWEEP_EVERY) {
            sinceSweep.set(0);
            sweep();
        }
        InetAddress ip = client;
        if (ip != null) {
            long now = System.nanoTime();
            Address a = addresses.computeIfAbsent(ip, k -> new Address(limits, now));
            boolean allowed;
            synchronized (a) {
                allowed = a.handshakes.tryTake(now);
            }
            if (!allowed) {
                metrics.limitHit(Limit.ADDRESS_HANDSHAKES);
                return tooMany("too many upgrade requests from this address; slow down");
            }
        }
        return null;
    }

    @Override
    public Refusal admit(Channel channel, InetAddress client, AuthenticatedUser user) {
        if (groups.sessionsOf(user.id()).length >= limits.perUser()) {
            metrics.limitHit(Limit.USER_CONNECTIONS);
            return tooMany("this user already has " + limits.perUser() + " connections to this node");
        }
        InetAddress ip = client;
        if (ip != null) {
            Address a = addresses.computeIfAbsent(ip, k -> new Address(limits, System.nanoTime()));
            synchronized (a) {
                if (a.connections >= limits.perAddress()) {
                    metrics.limitHit(Limit.ADDRESS_CONNECTIONS);
                    return tooMany("this address already has " + limits.perAddress() + " connections");
                }
                a.connections++;
            }
        }
        if (admitted.incrementAndGet() >= limits.perNode()) {
            readiness.set("capacity", "at the connection limit");
        }
        channel.closeFuture().addListener(releaseOnClose);
        return null;
    }

    private void release(InetAddress ip) {
        if (admitted.decrementAndGet() < limits.perNode()) {
            readiness.set("capacity", null);
        }
        if (ip != null) {
            addresses.computeIfPresent(ip, (k, a) -> {
                synchronized (a) {
                    a.connections--;
                    // Forget an address with nothing open and nothing owed, so the map holds only live clients.
                    return a.connections == 0 && a.handshakes.isFull(System.nanoTime()) ? null : a;
                }
            });
        }
    }

    /** Forgets addresses that hold no connection and whose bucket has refilled (they were refused, or left). */
    void sweep() {
        long now = System.nanoTime();
        addresses.entrySet().removeIf(e -> {
            Address a = e.getValue();
            synchronized (a) {
                return a.connections == 0 && a.handshakes.isFull(now);
            }
        });
    }

    private static Refusal tooMany(String message) {
        return new Refusal(HttpResponseStatus.TOO_MANY_REQUESTS, "too_many", message, HandshakeOutcome.RATE_LIMITED);
    }
}
