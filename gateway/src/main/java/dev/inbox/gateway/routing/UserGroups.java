package dev.inbox.gateway.routing;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per-user channel groups on this node: for each user with at least one open connection, every one of them (tabs,
 * devices). A group is an immutable array replaced on each join or leave, so delivery reads it with one map lookup
 * and no lock or allocation; joins and leaves are rare next to deliveries. A user's entry is removed with their
 * last connection, so nothing of a user who left stays behind.
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

    private static final PresenceListener NOBODY = userId -> { };

    private final ConcurrentMap<Long, InboxSession[]> groups = new ConcurrentHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile PresenceListener presence = NOBODY;

    /** Sets the one listener for first-joined and last-left changes (the relay's subscriptions). */
    public void presenceListener(PresenceListener listener) {
        this.presence = listener == null ? NOBODY : listener;
    }

    /** Whether {@code userId} has an open connection on this node. */
    public boolean isPresent(long userId) {
        return groups.containsKey(userId);
    }

    /** Every user with an open connection on this node, at some moment during the call. */
    public long[] presentUsers() {
        return groups.keySet().stream().mapToLong(Long::longValue).toArray();
    }

    /** Adds a connection; returns true when it is its user's first on this node. */
    public boolean join(InboxSession session) {
        boolean[] first = new boolean[1];
        groups.compute(session.userId(), (id, group) -> {
            if (group == null) {
                first[0] = true;
                return new InboxSession[]{session};
            }
            InboxSession[] next = Arrays.copyOf(group, group.length + 1);
            next[group.length] = session;
            return next;
        });
        connections.incrementAndGet();
        if (first[0]) {
            presence.presenceChanged(session.userId());
        }
        return first[0];
    }

    /** Removes a connection; returns true when it was its user's last on this node. Idempotent. */
    public boolean leave(InboxSession session) {
        boolean[] removed = new boolean[1];
        InboxSession[] after = groups.computeIfPresent(session.userId(), (id, group) -> {
            int at = -1;
            for (int i = 0; i < group.length; i++) {
                if (group[i] == session) {
                    at = i;
                    break;
                }
            }
            if (at < 0) {
                return group;
            }
            removed[0] = true;
            if (group.length == 1) {
                return null;
            }
            InboxSession[] next = new InboxSession[group.length - 1];
            System.arraycopy(group, 0, next, 0, at);
            System.arraycopy(group, at + 1, next, at, next.length - at);
            return next;
        });
        if (removed[0]) {
            connections.decrementAndGet();
        }
        boolean last = removed[0] && after == null;
        if (last) {
            presence.presenceChanged(session.userId());
        }
        return last;
    }

    /** The user's open connections on this node; an empty array when none. Never modify the result. */
    public InboxSession[] sessionsOf(long userId) {
        InboxSession[] group = groups.get(userId);
        return group == null ? NONE : group;
    }

    /** Every open connection on this node, at some moment during the call. */
    public java.util.List<InboxSession> allSessions() {
        java.util.List<InboxSession> all = new java.util.ArrayList<>(connections.get());
        for (InboxSession[] group : groups.values()) {
            java.util.Collections.addAll(all, group);
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
