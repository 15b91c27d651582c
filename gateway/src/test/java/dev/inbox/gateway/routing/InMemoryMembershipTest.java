package dev.inbox.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InMemoryMembershipTest {
    private final InMemoryMembership membership = new InMemoryMembership();

    /** Every stage of the in-memory store is already complete: no caller ever waits. */
    private static Members now(CompletionStage<Members> stage) {
        CompletableFuture<Members> f = stage.toCompletableFuture();
        assertTrue(f.isDone(), "the in-memory store completes at once");
        return f.join();
    }

    @Test
    void unknownConversationHasNoMembers() {
        assertNull(now(membership.members(1)));
    }

    @Test
    void replaceSetsAManagedSortedDistinctList() {
        Members m = now(membership.replace(1, new long[] {3, 1, 3}));
        assertArrayEquals(new long[] {1, 3}, m.userIds());
        assertTrue(m.managed());
        assertEquals(m, now(membership.members(1)));
    }

    @Test
    void replaceOverwritesTheWholeList() {
        membership.replace(1, new long[] {1, 2, 3});
        membership.replace(1, new long[] {4});
        assertArrayEquals(new long[] {4}, now(membership.members(1)).userIds());
    }

    @Test
    void replaceWithNobodyKeepsAnEmptyManagedConversation() {
        membership.replace(1, new long[0]);
        Members m = now(membership.members(1));
        assertEquals(0, m.size());
        assertTrue(m.managed(), "an empty managed conversation is not an unknown one");
    }

    @Test
    void conversationsAreIndependent() {
        membership.replace(1, new long[] {1});
        membership.replace(2, new long[] {2});
        assertArrayEquals(new long[] {1}, now(membership.members(1)).userIds());
        assertArrayEquals(new long[] {2}, now(membership.members(2)).userIds());
        assertNull(now(membership.members(3)));
    }

    @Test
    void addToAnUnknownConversationCreatesAManagedOne() {
        Members m = now(membership.add(1, 7));
        assertArrayEquals(new long[] {7}, m.userIds());
        assertTrue(m.managed());
    }

    @Test
    void addToAManagedConversationAddsTheMember() {
        membership.replace(1, new long[] {1, 3});
        assertArrayEquals(new long[] {1, 2, 3}, now(membership.add(1, 2)).userIds());
        assertArrayEquals(new long[] {1, 2, 3}, now(membership.add(1, 2)).userIds(), "adding twice is harmless");
    }

    @Test
    void addToAnOpenConversationMakesItManaged() {
        membership.joinOpen(1, 5);
        Members m = now(membership.add(1, 6));
        assertArrayEquals(new long[] {5, 6}, m.userIds());
        assertTrue(m.managed());
    }

    @Test
    void removeFromAnUnknownConversationIsNull() {
        assertNull(now(membership.remove(1, 7)));
        assertNull(now(membership.members(1)), "removing does not create the conversation");
    }

    @Test
    void removeFromAManagedConversationRemovesTheMember() {
        membership.replace(1, new long[] {1, 2});
        Members m = now(membership.remove(1, 2));
        assertArrayEquals(new long[] {1}, m.userIds());
        assertTrue(m.managed());
        assertSame(m, now(membership.remove(1, 2)), "removing a non-member changes nothing");
    }

    @Test
    void removingTheLastMemberKeepsTheConversationManaged() {
        membership.replace(1, new long[] {1});
        Members m = now(membership.remove(1, 1));
        assertEquals(0, m.size());
        assertTrue(m.managed());
        assertEquals(m, now(membership.members(1)));
    }

    @Test
    void removeFromAnOpenConversationMakesItManaged() {
        membership.joinOpen(1, 5);
        membership.joinOpen(1, 6);
        Members m = now(membership.remove(1, 5));
        assertArrayEquals(new long[] {6}, m.userIds());
        assertTrue(m.managed(), "once the admin API touches it, only the admin API changes it");
    }

    @Test
    void joinOpenOnAnUnknownConversationOpensIt() {
        Members m = now(membership.joinOpen(1, 5));
        assertArrayEquals(new long[] {5}, m.userIds());
        assertFalse(m.managed());
    }

    @Test
    void joinOpenOnAnOpenConversationAddsTheUser() {
        membership.joinOpen(1, 5);
        Members m = now(membership.joinOpen(1, 3));
        assertArrayEquals(new long[] {3, 5}, m.userIds());
        assertFalse(m.managed());
        assertSame(m, now(membership.joinOpen(1, 3)), "joining twice changes nothing");
    }

    @Test
    void joinOpenOnAManagedConversationChangesNothing() {
        Members managed = now(membership.replace(1, new long[] {1, 2}));
        Members m = now(membership.joinOpen(1, 9));
        assertSame(managed, m);
        assertFalse(m.contains(9));
        assertSame(managed, now(membership.members(1)));
    }

    @Test
    void joinOpenOnAnEmptyManagedConversationChangesNothing() {
        membership.replace(1, new long[0]);
        assertEquals(0, now(membership.joinOpen(1, 9)).size());
    }

    @Test
    void concurrentJoinOpenKeepsEveryUser() throws Exception {
        int threads = 8;
        int perThread = 200;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long base = (long) t * perThread;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 1; i <= perThread; i++) {
                        membership.joinOpen(1, base + i);
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
        Members m = now(membership.members(1));
        assertEquals(threads * perThread, m.size(), "no update lost");
        assertFalse(m.managed());
    }

    private long[] strangers(long user, long... others) {
        CompletableFuture<long[]> f = membership.strangers(user, others).toCompletableFuture();
        assertTrue(f.isDone());
        return f.join();
    }

    @Test
    void strangersAreThoseSharingNoConversationAndFollowEveryChange() {
        now(membership.replace(1, new long[] {1, 2}));
        now(membership.replace(2, new long[] {3, 4}));
        assertArrayEquals(new long[] {3, 5}, strangers(1, 2, 3, 1, 5), "oneself and a co-member are no strangers");
        now(membership.add(2, 1));
        assertArrayEquals(new long[] {5}, strangers(1, 2, 3, 5));
        now(membership.remove(2, 1));
        assertArrayEquals(new long[] {3}, strangers(1, 3));
        now(membership.replace(1, new long[] {1, 3}));
        assertArrayEquals(new long[] {2}, strangers(1, 2, 3), "a replace removes whom it drops from the index");
        now(membership.joinOpen(9, 7));
        now(membership.joinOpen(9, 8));
        assertArrayEquals(new long[] {}, strangers(7, 8), "dev mode's open conversations count");
    }
}
