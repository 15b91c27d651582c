package dev.inbox.gateway.routing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jctools.maps.NonBlockingHashMapLong;

/**
 * Per-user channel groups on this node: for each user with at least one open connection, every one of them (tabs,
 * devices). A group is an immutable array replaced on each join or leave, so delivery reads it with one map lookup
 * and no lock or allocation; joins and leaves are rare next to deliveries. A user's entry is removed with their
 * last connection, so nothing of a user who left stays behind.
 *
 * <p>Why JCTools' {@link NonBlockingHashMapLong}: its keys are primitive {@code long}s, so a lookup on the fan-out
 * path boxes nothing (a {@code ConcurrentHashMap<Long, ...>} allocated a {@code Long} per recipient: 16 bytes of the
 * 60 the fan-out benchmark measured per recipient before), and reads are lock-free. Joins and leaves replace a
 * group with compare-and-set, retried on contention.
 *
 * <p>Thread-safe.
 */
public final class UserGroups {
    private static final InboxSession[] NONE = new InboxSession[0];

    /** Told when a user's first connection on this node opens and when their last one closes. */
    public interface PresenceListener {
        /** Called after the change, on the thread that made it; must only hand work off. */
        void presenceChanged(long userId);
    }

    private static final PresenceListener NOBODY = userId -> {};

    /** Told of every connection that joins, after it is in its group, on the joining thread (its event loop). */
    public interface JoinListener {
        /** {@code first}: the user had no other connection on this node. Must not block. */
        void joined(InboxSession session, boolean first);
    }

    private static final JoinListener NO_ONE = (session, first) -> {};

    private final NonBlockingHashMapLong<InboxSession[]> groups = new NonBlockingHashMapLong<>();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile PresenceListener presence = NOBODY;
    private volatile JoinListener joins = NO_ONE;
    /**
     * The relay epoch a connection must be covered from to receive live events: raised the moment a relay
     * interruption is detected. A connection below it may have missed an event another node admitted, so it gets no
     * later one (it would move the client's resume position past the missed event) until its 4002 close.
     */
    private volatile int liveFromEpoch;

    /** Sets the one listener for first-joined and last-left changes (the relay's subscriptions). */
    public void presenceListener(PresenceListener listener) {
        this.presence = listener == null ? NOBODY : listener;
    }

    /** Sets the one listener for every join (the relay's gap bookkeeping). */
    public void joinListener(JoinListener listener) {
        this.joins = listener == null ? NO_ONE : listener;
    }

    /**
     * A relay interruption numbered {@code epoch} was detected: from now on, connections covered only from an earlier
     * epoch receive no live events ({@link #missedRelay}). Never lowers the floor. Any thread.
     */
    public void relayInterrupted(int epoch) {
        synchronized (this) {
            if (epoch > liveFromEpoch) {
                liveFromEpoch = epoch;
            }
        }
    }

    /**
     * Whether {@code session} may have missed a relayed event, so must not be given later ones: docs/protocol.md,
     * "Why it is exact". Its event loop.
     */
    public boolean missedRelay(InboxSession session) {
        return session.relayEpoch() < liveFromEpoch;
    }

    /** The epoch behind {@link #missedRelay}, for a loop that checks many connections at once. */
    int liveFromEpoch() {
        return liveFromEpoch;
    }

    /** Whether {@code userId} has an open connection on this node. */
    public boolean isPresent(long userId) {
        return groups.containsKey(userId);
    }

    /** Every user with an open connection on this node, at some moment during the call. */
    public long[] presentUsers() {
        // Not keySetLong(): it sizes its array before iterating and stops when the array is full, so users who join
        // meanwhile can push out users who were there all along (RelayBenchmark lost a subscription that way).
        long[] users = new long[Math.max(16, groups.size())];
        int n = 0;
        for (Long user : groups.keySet()) { // boxes, but only on a reconnect: not a hot path
            if (n == users.length) {
                users = Arrays.copyOf(users, n * 2);
            }
            users[n++] = user;
        }
        return Arrays.copyOf(users, n);
    }

    /** Adds a connection; returns true when it is its user's first on this node. */
    public boolean join(InboxSession session) {
        long user = session.userId();
        boolean first;
        while (true) {
            InboxSession[] group = groups.get(user);
            if (group == null) {
                if (groups.putIfAbsent(user, new InboxSession[] {session}) == null) {
                    first = true;
                    break;
                }
            } else {
                InboxSession[] next = Arrays.copyOf(group, group.length + 1);
                next[group.length] = session;
                if (groups.replace(user, group, next)) {
                    first = false;
                    break;
                }
            }
        }
        connections.incrementAndGet();
        // After the insert: whoever looks at the groups after the listener has seen the join finds the connection.
        joins.joined(session, first);
        if (first) {
            presence.presenceChanged(user);
        }
        return first;
    }

    /** Removes a connection; returns true when it was its user's last on this node. Idempotent. */
    public boolean leave(InboxSession session) {
        long user = session.userId();
        boolean last;
        while (true) {
            InboxSession[] group = groups.get(user);
            int at = group == null ? -1 : indexOf(group, session);
            if (at < 0) {
                return false;
            }
            if (group.length == 1) {
                if (groups.remove(user, group)) {
                    last = true;
                    break;
                }
            } else {
                InboxSession[] next = new InboxSession[group.length - 1];
                System.arraycopy(group, 0, next, 0, at);
                System.arraycopy(group, at + 1, next, at, next.length - at);
                if (groups.replace(user, group, next)) {
                    last = false;
                    break;
                }
            }
        }
        connections.decrementAndGet();
        if (last) {
            presence.presenceChanged(user);
        }
        return last;
    }

    private static int indexOf(InboxSession[] group, InboxSession session) {
        for (int i = 0; i < group.length; i++) {
            if (group[i] == session) {
                return i;
            }
        }
        return -1;
    }

    /** The user's open connections on this node; an empty array when none. Never modify the result. */
    public InboxSession[] sessionsOf(long userId) {
        InboxSession[] group = groups.get(userId);
        return group == null ? NONE : group;
    }

    /** Every open connection on this node, at some moment during the call. */
    public List<InboxSession> allSessions() {
        List<InboxSession> all = new ArrayList<>(connections.get());
        for (InboxSession[] group : groups.values()) {
            Collections.addAll(all, group);
        }
        return all;
    }

    /** Users with at least one open connection on this node. */
    public int userCount() {
        return groups.size();
    }

    /** Open connections on this node. */
    public int connectionCount() {
        return connections.get();
    }
}
