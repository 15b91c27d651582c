package dev.inbox.gateway.presence;

import dev.inbox.gateway.metrics.PresenceMeters;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;

/**
 * Which of this node's connections watch which users, and the writing of {@code PRESENCE} frames to them. A change
 * is encoded once and each watcher gets a retained duplicate, handed over as one task per event loop, so its cost is
 * the number of connections subscribed to that user, whatever else the user is in (issue 15); per connection, an
 * array slot and a reference count.
 *
 * <p>Presence thread only, apart from {@link #count}: no locks.
 */
final class PresenceSubscriptions {
    /** One watched user: the connections watching, by event loop, and the newest status a change brought. */
    private static final class Watched {
        /**
         * Sorted by loop as they subscribe, so a change is one task per loop, not one per connection. Each array is
         * copied on change (subscriptions are rare next to deliveries), so a task may keep the one it was given.
         */
        final Map<EventLoop, InboxSession[]> byLoop = new IdentityHashMap<>(4);

        int sessions;
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
                w.byLoop.merge(session.channel().eventLoop(), new InboxSession[] {session}, (had, one) -> {
                    InboxSession[] next = Arrays.copyOf(had, had.length + 1);
                    next[had.length] = session;
                    return next;
                });
                w.sessions++;
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
            EventLoop loop = session.channel().eventLoop();
            InboxSession[] onLoop = w.byLoop.get(loop);
            int at = onLoop == null ? -1 : Arrays.asList(onLoop).indexOf(session);
            if (at >= 0) {
                w.sessions--;
                if (onLoop.length == 1) {
                    w.byLoop.remove(loop);
                } else {
                    InboxSession[] next = new InboxSession[onLoop.length - 1];
                    System.arraycopy(onLoop, 0, next, 0, at);
                    System.arraycopy(onLoop, at + 1, next, at, next.length - at);
                    w.byLoop.put(loop, next);
                }
            }
            if (w.sessions == 0) {
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
            for (Map.Entry<EventLoop, InboxSession[]> e : w.byLoop.entrySet()) {
                InboxSession[] sessions = e.getValue();
                ByteBuf batch = frame.retainedDuplicate();
                try {
                    e.getKey().execute(() -> writeAll(sessions, batch));
                } catch (RejectedExecutionException closing) {
                    batch.release(); // the loop is shutting down, and its connections with it
                }
            }
            meters.delivered(w.sessions);
        } finally {
            frame.release();
        }
    }

    /** On the connections' loop: each gets its own duplicate (a recycled view, no copy), then the batch goes. */
    private static void writeAll(InboxSession[] sessions, ByteBuf batch) {
        try {
            for (InboxSession s : sessions) {
                s.sendFrame(batch.retainedDuplicate());
            }
        } finally {
            batch.release();
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
