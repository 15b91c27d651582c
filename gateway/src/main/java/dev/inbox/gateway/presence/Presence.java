package dev.inbox.gateway.presence;

import dev.inbox.gateway.metrics.PresenceMeters;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.routing.Membership;
import dev.inbox.gateway.routing.UserGroups;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.collection.LongObjectHashMap;
import io.netty.util.collection.LongObjectMap;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's presence: tells the store when this node gains a user and, {@code debounce} after it lost its last
 * connection (unless one came back), that it lost them; and keeps the connections' subscriptions. Everything runs
 * on one thread of its own, {@code inbox-presence}: event loops and Redis callbacks only hand work to it, so none of
 * its state needs a lock and none of it ever blocks an event loop.
 *
 * <p>Why the debounce sits here, on the node that held the user: a phone that reconnects within it, to this node or
 * any other, never leaves the store, so nobody anywhere is told offline (docs/protocol.md, "Presence").
 */
public final class Presence implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Presence.class);

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "inbox-presence");
        t.setDaemon(true);
        return t;
    });
    private final PresenceStore store;
    private final UserGroups groups;
    private final Membership membership;
    private final PresenceMeters meters;
    private final PresenceSubscriptions subscriptions;
    private final long debounceNanos;
    private final int maxSubscriptions;
    /**
     * Users this node has told the store it holds: {@link #HELD}, or, while their last connection's debounce runs, the
     * pending {@link #left}. Presence thread only. Primitive keys and one map for both states, since every online
     * user has an entry whether or not anyone watches them: a set and a map of boxed ids cost about 60 bytes a user
     * (issue 18's class histogram), this about 20.
     */
    private final LongObjectHashMap<Object> held = new LongObjectHashMap<>(64, 0.75f);

    private static final Object HELD = new Object();

    /**
     * @param debounce         how long a user stays online here after their last connection closed
     * @param maxSubscriptions most users one connection may watch
     */
    public Presence(
            PresenceStore store,
            UserGroups groups,
            Membership membership,
            ServerFrameEncoder encoder,
            ByteBufAllocator alloc,
            PresenceMeters meters,
            Duration debounce,
            int maxSubscriptions) {
        this.store = store;
        this.groups = groups;
        this.membership = membership;
        this.meters = meters;
        this.debounceNanos = debounce.toNanos();
        this.maxSubscriptions = maxSubscriptions;
        this.subscriptions = new PresenceSubscriptions(store, encoder, alloc, meters, maxSubscriptions);
        store.start(thread, (userId, online) -> run(() -> subscriptions.changed(userId, online)), this::heldUsers);
    }

    /** Subscriptions held by this node's connections now; any thread. */
    public int subscriptionCount() {
        return subscriptions.count();
    }

    public PresenceMeters meters() {
        return meters;
    }

    /** The store, for the admin API's reads. */
    public PresenceStore store() {
        return store;
    }

    /** A user's connection joined (or left) this node's groups; any thread. */
    public void connectionsChanged(long userId) {
        run(() -> reconcile(userId));
    }

    /** A connection closed: its subscriptions go. Any thread. */
    public void closed(InboxSession session) {
        run(() -> subscriptions.closed(session));
    }

    /** {@code PRESENCE_SUBSCRIBE}, decoded and within the rate: checked against membership, then bounded. Any thread. */
    public void subscribe(InboxSession session, long[] userIds) {
        membership
                .strangers(session.userId(), userIds)
                .whenComplete((strangers, failure) -> run(() -> {
                    if (!session.channel().isActive()) {
                        return; // closed meanwhile: closed() has run or will run after this, and finds nothing of it
                    }
                    if (failure != null) {
                        meters.refused(PresenceMeters.Refusal.UNAVAILABLE);
                        session.sendError(
                                ErrorCode.SERVER_ERROR, "presence: membership could not be read; retry later", 0, null);
                        return;
                    }
                    if (strangers.length > 0) {
                        meters.refused(PresenceMeters.Refusal.FORBIDDEN);
                        session.sendError(
                                ErrorCode.PRESENCE_FORBIDDEN,
                                "user " + strangers[0] + " shares no conversation with you; nothing was subscribed",
                                0,
                                null);
                        return;
                    }
                    long since = subscriptions.subscribe(session, userIds);
                    if (since < 0) {
                        meters.refused(PresenceMeters.Refusal.LIMIT);
                        session.sendError(
                                ErrorCode.PRESENCE_LIMIT,
                                "at most " + maxSubscriptions
                                        + " presence subscriptions per connection; nothing was subscribed",
                                0,
                                null);
                        return;
                    }
                    CompletionStage<boolean[]> read = store.statuses(userIds);
                    read.whenComplete((statuses, readFailure) -> run(() -> {
                        if (readFailure != null) {
                            log.warn("presence read failed: {}", readFailure.toString());
                            return; // subscribed all the same: the next change still comes
                        }
                        subscriptions.initial(session, userIds, statuses, since);
                    }));
                }));
    }

    /** {@code PRESENCE_UNSUBSCRIBE}; any thread. */
    public void unsubscribe(InboxSession session, long[] userIds) {
        run(() -> subscriptions.unsubscribe(session, userIds));
    }

    private void reconcile(long userId) {
        if (groups.isPresent(userId)) {
            Object was = held.put(userId, HELD);
            if (was == null) {
                store.online(userId);
            } else if (was instanceof ScheduledFuture<?> pending) {
                pending.cancel(false);
            }
        } else {
            Object was = held.get(userId);
            if (was == null) {
                return; // never held, or already told offline
            }
            // Re-armed on every change seen while away, not only the first: a reconnect and its close can both
            // happen before this thread gets to them, leaving no trace in the groups, and the debounce must count
            // from the last close, not the first.
            if (was instanceof ScheduledFuture<?> pending) {
                pending.cancel(false);
            }
            held.put(userId, thread.schedule(() -> left(userId), debounceNanos, TimeUnit.NANOSECONDS));
        }
    }

    /** The debounce of a user's last connection ran out (a reconcile on their return cancels it). */
    private void left(long userId) {
        if (!(held.get(userId) instanceof ScheduledFuture<?>)) {
            return;
        }
        if (groups.isPresent(userId)) {
            held.put(userId, HELD); // back, and the reconcile that says so is still queued
        } else {
            held.remove(userId);
            store.offline(userId);
        }
    }

    private long[] heldUsers() {
        long[] users = new long[held.size()];
        int n = 0;
        for (LongObjectMap.PrimitiveEntry<Object> e : held.entries()) {
            users[n++] = e.key();
        }
        return users;
    }

    private void run(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException e) {
            // closed: the node is going, and presence with it
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        store.close();
    }
}
