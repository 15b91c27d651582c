package dev.inbox.gateway.routing;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Membership held in this process: the single-node default. Each conversation's {@link Members} is an immutable
 * value swapped atomically, so readers on any thread never see half an update; every stage is already complete.
 */
public final class InMemoryMembership implements Membership {
    private final ConcurrentMap<Long, Members> conversations = new ConcurrentHashMap<>();
    /**
     * Per user, the conversations they are in: the index {@link #strangers} reads. Updated inside each conversation's
     * {@code compute}, so for one conversation it follows the member list's order of changes.
     */
    private final ConcurrentMap<Long, Set<Long>> conversationsOf = new ConcurrentHashMap<>();

    @Override
    public CompletionStage<Members> members(long conversationId) {
        return CompletableFuture.completedFuture(conversations.get(conversationId));
    }

    @Override
    public CompletionStage<Members> replace(long conversationId, long[] userIds) {
        Members next = Members.of(userIds, true);
        return CompletableFuture.completedFuture(conversations.compute(conversationId, (id, old) -> {
            if (old != null) {
                for (long u : old.userIds()) {
                    if (!next.contains(u)) {
                        unindex(u, id);
                    }
                }
            }
            for (long u : next.userIds()) {
                index(u, id);
            }
            return next;
        }));
    }

    @Override
    public CompletionStage<Members> add(long conversationId, long userId) {
        return CompletableFuture.completedFuture(conversations.compute(conversationId, (id, m) -> {
            index(userId, id);
            return m == null ? Members.of(new long[] {userId}, true) : m.with(userId, true);
        }));
    }

    @Override
    public CompletionStage<Members> remove(long conversationId, long userId) {
        return CompletableFuture.completedFuture(conversations.computeIfPresent(conversationId, (id, m) -> {
            unindex(userId, id);
            return m.managed()
                    ? m.without(userId)
                    : Members.of(m.without(userId).userIds(), true);
        }));
    }

    /**
     * Dev mode: adds {@code userId} to an unknown or open conversation and returns the result; a managed
     * conversation is returned unchanged.
     */
    public CompletionStage<Members> joinOpen(long conversationId, long userId) {
        return CompletableFuture.completedFuture(conversations.compute(conversationId, (id, m) -> {
            if (m != null && m.managed()) {
                return m;
            }
            index(userId, id);
            return m == null ? Members.of(new long[] {userId}, false) : m.with(userId, false);
        }));
    }

    @Override
    public CompletionStage<long[]> strangers(long userId, long[] others) {
        Set<Long> mine = conversationsOf.getOrDefault(userId, Set.of());
        return CompletableFuture.completedFuture(java.util.Arrays.stream(others)
                .filter(other -> other != userId && !sharesAny(mine, conversationsOf.getOrDefault(other, Set.of())))
                .toArray());
    }

    private static boolean sharesAny(Set<Long> a, Set<Long> b) {
        Set<Long> small = a.size() <= b.size() ? a : b;
        Set<Long> large = small == a ? b : a;
        for (Long c : small) {
            if (large.contains(c)) {
                return true;
            }
        }
        return false;
    }

    private void index(long userId, long conversationId) {
        conversationsOf.compute(userId, (u, set) -> {
            Set<Long> next = set == null ? ConcurrentHashMap.newKeySet() : set;
            next.add(conversationId);
            return next;
        });
    }

    private void unindex(long userId, long conversationId) {
        conversationsOf.computeIfPresent(userId, (u, set) -> {
            set.remove(conversationId);
            return set.isEmpty() ? null : set;
        });
    }
}
