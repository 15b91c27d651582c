package dev.inbox.gateway.presence;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * Where presence is kept: this node's memory ({@link LocalPresence}) or Redis, shared by every node
 * ({@code relay.RedisPresence}). A user is online while any node has {@link #online} them and not yet
 * {@link #offline}d them, or, with Redis, until that node's heartbeat lapses.
 *
 * <p>{@link #online}, {@link #offline}, {@link #watch} and {@link #unwatch} are called on the presence thread only.
 */
public interface PresenceStore extends AutoCloseable {
    /** Told of each change of a watched user's status; on any thread, and must only hand work off. */
    interface Changes {
        void changed(long userId, boolean online);
    }

    /**
     * Starts the store.
     *
     * @param thread     the presence thread, for the store's own timers (heartbeats, sweeps)
     * @param changes    where changes of watched users go
     * @param localUsers the users this node holds online now; read on {@code thread} only
     */
    void start(ScheduledExecutorService thread, Changes changes, Supplier<long[]> localUsers);

    /** This node has the user now (their first connection, or one back after the debounce ran out). */
    void online(long userId);

    /** This node has no longer had the user for the debounce. */
    void offline(long userId);

    /** Each user's status, in order: true online. Any thread. */
    CompletionStage<boolean[]> statuses(long[] userIds);

    /** Starts telling {@link Changes} of {@code userId}'s changes. */
    void watch(long userId);

    /** Stops telling of {@code userId}'s changes. */
    void unwatch(long userId);

    @Override
    void close();
}
