package dev.inbox.gateway.presence;

import dev.inbox.gateway.metrics.PresenceMeters;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;

/**
 * Which of this node's connections watch which users, and the writing of {@code PRESENCE} frames to them. A change
 * is encoded once and each watcher gets a retained duplicate, so its cost is the number of connections subscribed
 * to that user, whatever else the user is in (issue 15).
 *
 * <p>Presence thread only, apart from {@link #count}: no locks.
 */
final class PresenceSubscriptions {
    /** One watched user: the connections watching, and the newest status a change brought. */
    private static final class Watched {
        final List<InboxSession> sessions = new ArrayList<>(2);
        /** The status the last change said, or null before any. */
        Boolean status;
        /** {@link #changes} at the last change of this user. */
        long changedAt;
    }

    private final Map<Long, Watched> watched = new HashMap<>();
    private final Map<InboxSession, Set<Long>> bySession = new HashMap<>();
    private final PresenceStore store;
    private final ServerFrameEncoder encoder;
    private final ByteBufAllocator alloc;
    private final PresenceMeters meters;
    private final int maxPerConnection;
    /** Changes handled so far: orders a change against a subscription's initial read. */
    private long changes;
    /** Subscriptions held, for the gauge; written here, read at scrape time. */
    private volatile int count;

    PresenceSubscriptions(
            PresenceStore store,
            ServerFrameEncoder encoder,
            ByteBufAllocator alloc,
            PresenceMeters meters,
            int maxPerConnection) {
        this.store = store;
        this.encoder = encoder;
        this.alloc = alloc;
        this.meters = meters;
        this.maxPerConnection = maxPerConnection;
    }

    int count() {
        return count;
    }

    /**
     * Subscribes {@code session} to {@code userIds} (membership already checked), or refuses the whole frame past the
     * bound. Returns the changes counter at registration, for {@link #initial}, or -1 when refused.
     */
    long subscribe(InboxSession session, long[] userIds) {
        Set<Long> mine = bySession.get(session);
        int adding = 0;
        for (long u : userIds) {
            if (mine == null || !mine.contains(u)) {
                adding++;
            }
        }
        int held = mine == null ? 0 : mine.size();
        if (held + adding > maxPerConnection) {
            return -1;
        }
        if (mine == null) {
            mine = new HashSet<>();
            bySession.put(session, mine);
        }
        for (long u : userIds) {
            if (mine.add(u)) {
                Watched w = watched.get(u);
                if (w == null) {
                    w = new Watched();
                    watched.put(u, w);
                    store.watch(u);
                }
                w.sessions.add(session);
            }
        }
        count += adding;
        return changes;
    }

    /**
     * Sends {@code session} the current status of each of {@code userIds}, as read when it subscribed; a change that
     * arrived since {@code since} is newer than that read, and its status is sent instead.
     */
    void initial(InboxSession session, long[] userIds, boolean[] read, long since) {
        Set<Long> mine = bySession.get(session);
        for (int i = 0; i < userIds.length; i++) {
            Watched w = watched.get(userIds[i]);
            if (mine == null || w == null || !mine.contains(userIds[i])) {
                continue; // unsubscribed or closed meanwhile
            }
            boolean status = w.status != null && w.changedAt > since ? w.status : read[i];
            if (w.status == null) {
                w.status = status; // known now: a later report of the same state is no change
            }
            deliver(session, encoder.encodePresence(alloc, userIds[i], status));
            meters.delivered(1);
        }
    }

    void unsubscribe(InboxSession session, long[] userIds) {
        Set<Long> mine = bySession.get(session);
        if (mine == null) {
            return;
        }
        for (long u : userIds) {
            if (mine.remove(u)) {
                drop(session, u);
            }
        }
        if (mine.isEmpty()) {
            bySession.remove(session);
        }
    }

    /** The connection closed: all its subscriptions go. */
    void closed(InboxSession session) {
        Set<Long> mine = bySession.remove(session);
        if (mine != null) {
            for (long u : mine) {
                drop(session, u);
            }
        }
    }

    private void drop(InboxSession session, long userId) {
        count--;
        Watched w = watched.get(userId);
        if (w != null) {
            w.sessions.remove(session);
            if (w.sessions.isEmpty()) {
                watched.remove(userId);
                store.unwatch(userId);
            }
        }
    }

    /** A watched user's status changed: one frame, shared by every connection watching. */
    void changed(long userId, boolean online) {
        changes++;
        Watched w = watched.get(userId);
        if (w == null) {
            return;
        }
        if (w.status != null && w.status == online) {
            return; // the same news twice (a resync after a Redis outage, two sweeps)
        }
        w.status = online;
        w.changedAt = changes;
        ByteBuf frame = encoder.encodePresence(alloc, userId, online);
        try {
            for (InboxSession s : w.sessions) {
                deliver(s, frame.retainedDuplicate());
            }
            meters.delivered(w.sessions.size());
        } finally {
            frame.release();
        }
    }

    /** Hands {@code frame} to the connection's event loop, which owns its writes. */
    private static void deliver(InboxSession session, ByteBuf frame) {
        try {
            session.channel().eventLoop().execute(() -> session.sendFrame(frame));
        } catch (RejectedExecutionException e) {
            frame.release(); // the loop is shutting down, and the connection with it
        }
    }
}
