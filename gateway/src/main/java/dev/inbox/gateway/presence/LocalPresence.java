package dev.inbox.gateway.presence;

import dev.inbox.gateway.metrics.PresenceMeters;
import io.netty.util.collection.LongObjectHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * Presence on a single node: a user is online while this node holds them. Every change is told at once; nothing to
 * watch, since every change is already here.
 */
public final class LocalPresence implements PresenceStore {
    /**
     * Users online, by primitive id: every online user has an entry, so a concurrent set of boxed ids cost about 60
     * bytes a user (issue 18), this about 20. Guarded by itself: written on the presence thread, read by subscriptions
     * and the admin API.
     */
    private final LongObjectHashMap<Boolean> online = new LongObjectHashMap<>(64, 0.75f);

    private final PresenceMeters meters;
    private volatile Changes changes = (u, o) -> {};

    public LocalPresence(PresenceMeters meters) {
        this.meters = meters;
    }

    @Override
    public void start(ScheduledExecutorService thread, Changes changes, Supplier<long[]> localUsers) {
        this.changes = changes;
    }

    @Override
    public void online(long userId) {
        boolean added;
        synchronized (online) {
            added = online.put(userId, Boolean.TRUE) == null;
        }
        if (added) {
            meters.published();
            changes.changed(userId, true);
        }
    }

    @Override
    public void offline(long userId) {
        boolean removed;
        synchronized (online) {
            removed = online.remove(userId) != null;
        }
        if (removed) {
            meters.published();
            changes.changed(userId, false);
        }
    }

    @Override
    public CompletionStage<boolean[]> statuses(long[] userIds) {
        boolean[] out = new boolean[userIds.length];
        synchronized (online) {
            for (int i = 0; i < userIds.length; i++) {
                out[i] = online.containsKey(userIds[i]);
            }
        }
        return CompletableFuture.completedFuture(out);
    }

    @Override
    public void watch(long userId) {}

    @Override
    public void unwatch(long userId) {}

    @Override
    public void close() {}
}
