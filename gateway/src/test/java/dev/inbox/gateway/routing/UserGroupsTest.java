package dev.inbox.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class UserGroupsTest {
    private static final GatewayMetrics METRICS = new GatewayMetrics();
    private final ServerFrameEncoder encoder = new ServerFrameEncoder();
    /** Sessions only need a channel for their identity and toString; they all share this one. */
    private final EmbeddedChannel ch = new EmbeddedChannel();

    private final UserGroups groups = new UserGroups();

    @AfterEach
    void nothingIsLeftOver() {
        assertFalse(ch.finish());
    }

    private InboxSession session(long userId) {
        return new InboxSession(ch, new AuthenticatedUser(userId, null, null, Long.MAX_VALUE), 0, encoder, METRICS);
    }

    @Test
    void firstJoinOfAUserReturnsTrueAndLaterJoinsFalse() {
        InboxSession tab1 = session(1);
        InboxSession tab2 = session(1);
        InboxSession other = session(2);

        assertTrue(groups.join(tab1));
        assertFalse(groups.join(tab2));
        assertTrue(groups.join(other), "first for its own user");
    }

    @Test
    void leaveReturnsTrueOnlyForTheUsersLastConnection() {
        InboxSession tab1 = session(1);
        InboxSession tab2 = session(1);
        groups.join(tab1);
        groups.join(tab2);

        assertFalse(groups.leave(tab1));
        assertTrue(groups.leave(tab2));
    }

    @Test
    void sessionsOfListsEveryConnectionOfTheUserInJoinOrder() {
        InboxSession tab1 = session(1);
        InboxSession tab2 = session(1);
        InboxSession tab3 = session(1);
        InboxSession other = session(2);
        groups.join(tab1);
        groups.join(other);
        groups.join(tab2);
        groups.join(tab3);

        assertArrayEquals(new InboxSession[] {tab1, tab2, tab3}, groups.sessionsOf(1));
        assertArrayEquals(new InboxSession[] {other}, groups.sessionsOf(2));

        groups.leave(tab2);
        assertArrayEquals(new InboxSession[] {tab1, tab3}, groups.sessionsOf(1), "order kept when one leaves");
    }

    @Test
    void unknownUserHasNoSessions() {
        assertEquals(0, groups.sessionsOf(99).length);
        groups.join(session(1));
        assertEquals(0, groups.sessionsOf(99).length);
    }

    @Test
    void arrayHandedOutIsNotChangedByLaterJoinsOrLeaves() {
        InboxSession tab1 = session(1);
        groups.join(tab1);
        InboxSession[] snapshot = groups.sessionsOf(1);

        groups.join(session(1));
        groups.leave(tab1);

        assertEquals(1, snapshot.length);
        assertSame(tab1, snapshot[0], "delivery may still be iterating an older group");
    }

    @Test
    void countsReturnToZeroAfterManyUsersJoinAndLeave() {
        List<InboxSession> all = new ArrayList<>();
        for (long user = 1; user <= 50; user++) {
            for (int tab = 0; tab < 3; tab++) {
                InboxSession s = session(user);
                all.add(s);
                groups.join(s);
            }
        }
        assertEquals(50, groups.userCount());
        assertEquals(150, groups.connectionCount());

        for (InboxSession s : all) {
            groups.leave(s);
        }
        assertEquals(0, groups.userCount());
        assertEquals(0, groups.connectionCount());
        for (long user = 1; user <= 50; user++) {
            assertEquals(0, groups.sessionsOf(user).length);
        }
    }

    @Test
    void leaveIsIdempotent() {
        InboxSession tab1 = session(1);
        InboxSession tab2 = session(1);
        groups.join(tab1);
        groups.join(tab2);

        assertFalse(groups.leave(tab1));
        assertFalse(groups.leave(tab1), "a second leave changes nothing");
        assertEquals(1, groups.connectionCount());
        assertArrayEquals(new InboxSession[] {tab2}, groups.sessionsOf(1));

        assertTrue(groups.leave(tab2));
        assertFalse(groups.leave(tab2), "nor after the last one");
        assertEquals(0, groups.connectionCount());
        assertEquals(0, groups.userCount());
    }

    @Test
    void leavingASessionThatNeverJoinedChangesNothing() {
        InboxSession joined = session(1);
        groups.join(joined);

        assertFalse(groups.leave(session(1)), "same user, another connection");
        assertFalse(groups.leave(session(2)), "unknown user");
        assertEquals(1, groups.connectionCount());
        assertEquals(1, groups.userCount());
        assertArrayEquals(new InboxSession[] {joined}, groups.sessionsOf(1));
    }

    @Test
    void concurrentJoinsAndLeavesEndConsistent() throws Exception {
        int threads = 8;
        int users = 5;
        int rounds = 2_000;
        // Per user: how many joins said "first" and how many leaves said "last". Each first is matched by a last.
        AtomicIntegerArray firsts = new AtomicIntegerArray(users + 1);
        AtomicIntegerArray lasts = new AtomicIntegerArray(users + 1);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                Callable<Integer> work = () -> {
                    start.await();
                    List<InboxSession> mine = new ArrayList<>();
                    for (int i = 0; i < rounds; i++) {
                        long user = 1 + (seed + i) % users;
                        InboxSession s = session(user);
                        if (groups.join(s)) {
                            firsts.incrementAndGet((int) user);
                        }
                        mine.add(s);
                        if (i % 3 == 2) { // leave one of ours now and then, keeping some joined for a while
                            InboxSession gone = mine.remove(mine.size() / 2);
                            if (groups.leave(gone)) {
                                lasts.incrementAndGet((int) gone.userId());
                            }
                        }
                    }
                    for (InboxSession s : mine) {
                        if (groups.leave(s)) {
                            lasts.incrementAndGet((int) s.userId());
                        }
                        groups.leave(s); // idempotent under contention too
                    }
                    return mine.size();
                };
                done.add(pool.submit(work));
            }
            start.countDown();
            for (Future<Integer> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }

        assertEquals(0, groups.connectionCount());
        assertEquals(0, groups.userCount());
        for (int user = 1; user <= users; user++) {
            assertEquals(0, groups.sessionsOf(user).length);
            assertTrue(firsts.get(user) >= 1);
            assertEquals(firsts.get(user), lasts.get(user), "user " + user + ": every first join has its last leave");
        }
    }

    @Test
    void concurrentJoinsAreAllKept() throws Exception {
        int threads = 8;
        int perThread = 500;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        groups.join(session(7)); // every thread on the same user: the contended case
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
        assertEquals(threads * perThread, groups.sessionsOf(7).length);
        assertEquals(threads * perThread, groups.connectionCount());
        assertEquals(1, groups.userCount());
    }

    /**
     * The relay resubscribes from this list after a reconnect: a user present throughout must be in it however many
     * join meanwhile. (JCTools' keySetLong() sized its array first and stopped when full, so newcomers could push
     * earlier users out; RelayBenchmark lost a subscription that way.)
     */
    @Test
    void presentUsersHoldsEveryoneWhoWasThereWhileOthersJoin() throws Exception {
        int before = 2_000;
        for (long u = 1; u <= before; u++) {
            groups.join(session(u));
        }
        List<InboxSession> newcomers = new ArrayList<>();
        for (long u = 100_001; u <= 140_000; u++) {
            newcomers.add(session(u));
        }
        ExecutorService joiner = Executors.newSingleThreadExecutor();
        try {
            Future<?> joining = joiner.submit(() -> newcomers.forEach(groups::join));
            int snapshots = 0;
            do {
                java.util.Set<Long> seen = new java.util.HashSet<>();
                for (long u : groups.presentUsers()) {
                    seen.add(u);
                }
                for (long u = 1; u <= before; u++) {
                    assertTrue(seen.contains(u), "user " + u + " was present throughout, snapshot " + snapshots);
                }
                snapshots++;
            } while (!joining.isDone());
            joining.get();
        } finally {
            joiner.shutdownNow();
        }
        assertEquals(before + newcomers.size(), groups.presentUsers().length);
    }
}
