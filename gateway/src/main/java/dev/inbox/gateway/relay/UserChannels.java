package dev.inbox.gateway.relay;

import dev.inbox.gateway.routing.UserGroups;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Keeps this node reachable for exactly the users connected to it ({@link RedisLink#subscribeUsers}): from when user
 * N's first connection opens here until the last closes. So a node receives relay traffic only for its own users,
 * and no channel carries every message to every node.
 *
 * <p>Connects and disconnects happen on many event loops at once; applying them in arrival order could leave a
 * user unsubscribed while connected. Instead each change only marks the user, and one task at a time reconciles
 * every marked user against {@link UserGroups} as it is now, batching the commands. After a reconnect everything
 * present is subscribed again.
 */
final class UserChannels implements UserGroups.PresenceListener {
    private final UserGroups groups;
    private final RedisLink link;
    private final Executor executor;
    /** Told, on the subscriptions thread, of the users whose last connection here closed (their feeds' expiry). */
    private final Consumer<long[]> left;

    private final Set<Long> dirty = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    UserChannels(UserGroups groups, RedisLink link, Executor executor, Consumer<long[]> left) {
        this.groups = groups;
        this.link = link;
        this.executor = executor;
        this.left = left;
    }

    @Override
    public void presenceChanged(long userId) {
        dirty.add(userId);
        schedule();
    }

    /**
     * Subscribes every user connected here: for a new connection, whose server knows none of them. Completes once
     * Redis has every channel of the users present when the subscription went out; fails if it could not.
     */
    CompletionStage<Void> resubscribeAll() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            // On the one subscriptions thread, so no reconcile runs between reading who is here and subscribing them:
            // one that runs after unsubscribes whoever left meanwhile.
            executor.execute(() -> {
                long[] users = groups.presentUsers();
                if (users.length == 0) {
                    done.complete(null);
                    return;
                }
                link.subscribeUsers(users).whenComplete((v, failure) -> {
                    if (failure != null) {
                        done.completeExceptionally(failure);
                    } else {
                        done.complete(null);
                    }
                });
            });
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(e); // the relay is closed
        }
        return done;
    }

    /**
     * Completes once Redis confirms this node is reachable for {@code userId}: subscribing a user already subscribed
     * is harmless, and its confirmation is the moment from which every publication reaches this node.
     * Fails if Redis could not be asked. The user must be present (joined) when this is called, so no reconcile
     * after it unsubscribes them.
     */
    CompletionStage<Void> subscribed(long userId) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            executor.execute(() -> link.subscribeUsers(new long[] {userId}).whenComplete((v, failure) -> {
                if (failure != null) {
                    done.completeExceptionally(failure);
                } else {
                    done.complete(null);
                }
            }));
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                executor.execute(this::reconcile);
            } catch (RejectedExecutionException e) {
                // The relay is closed: its subscriptions end with its connection, nothing left to reconcile.
            }
        }
    }

    private void reconcile() {
        scheduled.set(false);
        List<Long> arrived = new ArrayList<>();
        List<Long> gone = new ArrayList<>();
        for (Long user : dirty.toArray(new Long[0])) {
            dirty.remove(user);
            (groups.isPresent(user) ? arrived : gone).add(user);
        }
        // A lost subscription (Redis down) is repaired by resubscribeAll() on the next connection.
        if (!arrived.isEmpty()) {
            link.subscribeUsers(arrived.stream().mapToLong(Long::longValue).toArray());
        }
        if (!gone.isEmpty()) {
            long[] users = gone.stream().mapToLong(Long::longValue).toArray();
            link.unsubscribeUsers(users);
            left.accept(users);
        }
    }
}
