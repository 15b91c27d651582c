package dev.inbox.gateway.relay;

import dev.inbox.gateway.health.Readiness;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.routing.SpreadCloses;
import dev.inbox.gateway.routing.UserGroups;
import dev.inbox.protocol.CloseCode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which connections may have missed relayed messages, and telling them (close 4002) once the relay is whole again.
 *
 * <p>A gap begins when the pub/sub connection is lost or the watchdog gives up on it, and ends when every user
 * channel present at the reconnect is subscribed on the new connection. Messages other nodes admit meanwhile never
 * reach this node, so every connection open at any moment of the gap is closed with 4002 when it ends, spread over
 * {@code --redis-gap-window} ({@link SpreadCloses}, as the drain spreads its closes): not before, since clients
 * would only reconnect to a node that cannot serve them yet (readiness says so meanwhile). What a client sees, and
 * why: docs/clustering.md, "Faults".
 *
 * <p>A connection that joins <em>during</em> a gap is closed too, with one exception: the user's first connection
 * here, joining once the new connection is up ({@link #reconnected}). Its own {@code SUBSCRIBE} then goes out on the
 * new connection, so it is in the position of any new connection: owed what is admitted once its subscription is in
 * place, and it missed nothing of that. A further connection of a user already here joins a group whose channel
 * may still be waiting for the resubscription, so it is closed; so is every connection joining before the new
 * connection is up, whose {@code SUBSCRIBE} went nowhere. (A node starts in a gap: nothing is subscribed yet.)
 *
 * <p>Bookkeeping: gaps are numbered (the epoch); each connection holds the epoch it is covered from
 * ({@link InboxSession#relayEpoch}), set at join on its loop, and the end of gap {@code g} closes those below
 * {@code g}. No cost per message and no heap per connection (the {@code int} fits in the session's padding).
 *
 * <p>Thread-safe: the link's events come from Lettuce's and the watchdog's threads, joins from event loops.
 */
final class RelayGaps implements UserGroups.JoinListener {
    private static final Logger log = LoggerFactory.getLogger(RelayGaps.class);
    private static final int STEADY = 0;
    /** The pub/sub connection is gone or in doubt; subscribing now goes nowhere. */
    private static final int INTERRUPTED = 1;
    /** A new connection is up; the users present are being subscribed on it. */
    private static final int RESUBSCRIBING = 2;

    private final UserGroups groups;
    private final Readiness readiness;
    private final GatewayMetrics metrics;
    private final long windowNanos;
    /** {@code epoch << 2 | phase}, in one word so a join reads both at once. Starts in gap 1: nothing subscribed. */
    private final AtomicInteger state = new AtomicInteger(1 << 2 | INTERRUPTED);
    /** When the current gap began ({@link System#nanoTime}), for the log. */
    private volatile long gapSince = System.nanoTime();

    RelayGaps(UserGroups groups, Readiness readiness, GatewayMetrics metrics, Duration window) {
        this.groups = groups;
        this.readiness = readiness;
        this.metrics = metrics;
        this.windowNanos = window.toNanos();
        readiness.set("relay", "relay not subscribed yet");
        groups.relayInterrupted(1); // the node starts in gap 1
    }

    private static int epoch(int state) {
        return state >>> 2;
    }

    private static int phase(int state) {
        return state & 3;
    }

    /**
     * The subscriptions are gone or in doubt (the connection dropped, or the watchdog gave up on it): a gap begins,
     * unless one is already open with nothing resubscribed yet. One that was resubscribing starts over as a new gap:
     * connections that joined meanwhile were covered only by a connection that is gone too. Any thread.
     */
    void interrupted() {
        while (true) {
            int s = state.get();
            if (phase(s) == INTERRUPTED) {
                return;
            }
            if (state.compareAndSet(s, (epoch(s) + 1) << 2 | INTERRUPTED)) {
                groups.relayInterrupted(epoch(s) + 1);
                if (phase(s) == STEADY) {
                    gapSince = System.nanoTime();
                    metrics.relayGap();
                    log.warn("relay subscriptions interrupted; open connections will be closed (4002) once they are "
                            + "whole again");
                }
                readiness.set("relay", "relay subscriptions interrupted");
                return;
            }
        }
    }

    /**
     * A new connection is up and the users present are about to be subscribed on it. Returns the gap's epoch, for
     * {@link #resubscribed}. Any thread.
     */
    int reconnected() {
        interrupted(); // a new connection means the old one's subscriptions are gone, noticed or not
        while (true) {
            int s = state.get();
            if (phase(s) != INTERRUPTED || state.compareAndSet(s, epoch(s) << 2 | RESUBSCRIBING)) {
                return epoch(s);
            }
        }
    }

    /** Whether gap {@code epoch} is still waiting for its resubscription (so a failed one should be retried). */
    boolean resubscribing(int epoch) {
        return state.get() == (epoch << 2 | RESUBSCRIBING);
    }

    /**
     * Every user present at the reconnect of gap {@code epoch} is subscribed again: unless another gap began since,
     * this one ends, and every connection that may have missed something is closed (4002), spread over the window.
     * Returns whether it ended. Any thread but an event loop (it walks every connection).
     */
    boolean resubscribed(int epoch) {
        if (!state.compareAndSet(epoch << 2 | RESUBSCRIBING, epoch << 2 | STEADY)) {
            return false;
        }
        readiness.set("relay", null);
        List<InboxSession> open = groups.allSessions();
        long start = System.nanoTime();
        // Checked again on each connection's loop when its turn comes: it may have left, or joined after the gap.
        SpreadCloses.over(open, windowNanos, CloseCode.RELAY_INTERRUPTED, s -> s.relayEpoch() < epoch);
        if (epoch == 1 && open.isEmpty()) {
            return true; // the node's start, with nobody here yet: nothing to say
        }
        log.info(
                "relay subscriptions whole again after {} ms; closing (4002) the connections open meanwhile, up to "
                        + "{}, over {} ms",
                TimeUnit.NANOSECONDS.toMillis(start - gapSince),
                open.size(),
                TimeUnit.NANOSECONDS.toMillis(windowNanos));
        return true;
    }

    /**
     * A connection joined: it is covered from the current epoch if no gap is open, or if it is its user's first
     * connection and the new Redis connection is already up (see the class comment); else it counts as open during
     * the gap. Its event loop, after the connection is in its group, so the end of a gap that finds it there also
     * finds its epoch.
     */
    @Override
    public void joined(InboxSession session, boolean first) {
        int s = state.get();
        boolean covered = phase(s) == STEADY || (phase(s) == RESUBSCRIBING && first);
        session.relayEpoch(covered ? epoch(s) : epoch(s) - 1);
    }
}
