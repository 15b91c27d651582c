package dev.inbox.gateway.presence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.metrics.PresenceMeters;
import dev.inbox.gateway.routing.InMemoryMembership;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.routing.UserGroups;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The debounce against the presence thread's own schedule, which the end-to-end tests cannot steer: here the thread is
 * held while connections change, as a loaded machine holds it.
 */
class PresenceTest {
    private static final Duration DEBOUNCE = Duration.ofMillis(400);
    private final GatewayMetrics metrics = new GatewayMetrics();

    private final ServerFrameEncoder encoder = new ServerFrameEncoder();
    private final EmbeddedChannel ch = new EmbeddedChannel();
    private final UserGroups groups = new UserGroups();
    private final CountDownLatch release = new CountDownLatch(1);
    private final RecordingStore store = new RecordingStore(metrics.presence(() -> 0));
    private final Presence presence = new Presence(
            store,
            groups,
            new InMemoryMembership(),
            encoder,
            UnpooledByteBufAllocator.DEFAULT,
            store.meters,
            DEBOUNCE,
            16);

    @AfterEach
    void close() {
        presence.close();
        ch.finishAndReleaseAll();
    }

    @Test
    void aReconnectAndCloseThePresenceThreadSeesOnlyAfterwardsStillRestartTheDebounce() throws Exception {
        InboxSession first = connect(1);
        settled();
        disconnect(first);
        long armedAt = holdThePresenceThread(); // it has seen the close, and armed the debounce
        // Half the debounce passes (the condition here is time itself), then the user comes back and leaves again,
        // both before the held thread looks.
        long half = armedAt + DEBOUNCE.toNanos() / 2;
        while (System.nanoTime() < half) {
            LockSupport.parkNanos(half - System.nanoTime());
        }
        disconnect(connect(1));
        long closedAgainAt = System.nanoTime();
        release.countDown();

        long offlineAt = store.offlineAt.get(10, TimeUnit.SECONDS);
        assertTrue(
                offlineAt - closedAgainAt >= DEBOUNCE.toNanos(),
                "offline " + (offlineAt - closedAgainAt) / 1_000_000 + " ms after the last close; the debounce is "
                        + DEBOUNCE.toMillis() + " ms");
        assertEquals(1, store.onlines.get(), "told online once: the user was never away for a whole debounce");
    }

    @Test
    void aReconnectWithinTheDebounceKeepsTheUserOnline() throws Exception {
        InboxSession first = connect(1);
        settled();
        disconnect(first);
        settled(); // the debounce is armed
        connect(1);
        InboxSession other = connect(2);
        settled();
        // The second user's debounce is armed after the first's: had the first's return not cancelled it, it would
        // run out first.
        disconnect(other);
        assertEquals(2L, store.offlineUser.get(10, TimeUnit.SECONDS), "user 1 came back within the debounce");
        assertEquals(2, store.onlines.get());
    }

    /** Returns once the presence thread has handled every change handed to it so far. */
    private void settled() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        store.thread.execute(() -> done.complete(null));
        done.join();
    }

    /** Blocks the presence thread behind every change handed to it so far; returns when it got there. */
    private long holdThePresenceThread() {
        CompletableFuture<Long> held = new CompletableFuture<>();
        store.thread.execute(() -> {
            held.complete(System.nanoTime());
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return held.join();
    }

    private InboxSession connect(long userId) {
        InboxSession session =
                new InboxSession(ch, new AuthenticatedUser(userId, null, null, Long.MAX_VALUE), 0, encoder, metrics);
        groups.join(session);
        presence.connectionsChanged(userId);
        return session;
    }

    private void disconnect(InboxSession session) {
        groups.leave(session);
        presence.connectionsChanged(session.userId());
    }

    /** The single-node store, with what it was told written down. */
    private static final class RecordingStore implements PresenceStore {
        final PresenceMeters meters;
        final LocalPresence local;
        final AtomicInteger onlines = new AtomicInteger();
        final CompletableFuture<Long> offlineAt = new CompletableFuture<>();
        final CompletableFuture<Long> offlineUser = new CompletableFuture<>();
        volatile ScheduledExecutorService thread;

        RecordingStore(PresenceMeters meters) {
            this.meters = meters;
            this.local = new LocalPresence(meters);
        }

        @Override
        public void start(ScheduledExecutorService thread, Changes changes, Supplier<long[]> localUsers) {
            this.thread = thread;
            local.start(thread, changes, localUsers);
        }

        @Override
        public void online(long userId) {
            onlines.incrementAndGet();
            local.online(userId);
        }

        @Override
        public void offline(long userId) {
            offlineAt.complete(System.nanoTime());
            offlineUser.complete(userId);
            local.offline(userId);
        }

        @Override
        public CompletionStage<boolean[]> statuses(long[] userIds) {
            return local.statuses(userIds);
        }

        @Override
        public void watch(long userId) {
            local.watch(userId);
        }

        @Override
        public void unwatch(long userId) {
            local.unwatch(userId);
        }

        @Override
        public void close() {
            local.close();
        }
    }
}
