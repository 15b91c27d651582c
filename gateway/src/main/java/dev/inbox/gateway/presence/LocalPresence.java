package dev.inbox.gateway.presence;

import dev.inbox.gateway.metrics.PresenceMeters;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * Presence on a single node: a user is online while this node holds them. Every change is told at once; nothing to
 * watch, since every change is already here.
 */
public final class LocalPresence implements PresenceStore {
    private final Set<Long> online = ConcurrentHashMap.newKeySet();
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
        if (online.add(userId)) {
            meters.published();
            changes.changed(userId, true);
        }
    }

    @Override
    public void offline(long userId) {
        if (online.remove(userId)) {
            meters.published();
            changes.changed(userId, false);
        }
    }

    @Override
    public CompletionStage<boolean[]> statuses(long[] userIds) {
        boolean[] out = new boolean[userIds.length];
        for (int i = 0; i < userIds.length; i++) {
            out[i] = online.contains(userIds[i]);
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
