package dev.inbox.gateway.routing;

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

    @Override
    public CompletionStage<Members> members(long conversationId) {
        return CompletableFuture.completedFuture(conversations.get(conversationId));
    }

    @Override
    public CompletionStage<Members> replace(long conversationId, long[] userIds) {
        Members next = Members.of(userIds, true);
        conversations.put(conversationId, next);
        return CompletableFuture.completedFuture(next);
    }

    @Override
    public CompletionStage<Members> add(long conversationId, long userId) {
        return CompletableFuture.completedFuture(conversations.compute(
                conversationId, (id, m) -> m == null ? Members.of(new long[] {userId}, true) : m.with(userId, true)));
    }

    @Override
    public CompletionStage<Members> remove(long conversationId, long userId) {
        return CompletableFuture.completedFuture(conversations.computeIfPresent(
                conversationId,
                (id, m) -> m.managed()
                        ? m.without(userId)
                        : Members.of(m.without(userId).userIds(), true)));
    }

    /**
     * Dev mode: adds {@code userId} to an unknown or open conversation and returns the result; a managed
     * conversation is returned unchanged.
     */
    public CompletionStage<Members> joinOpen(long conversationId, long userId) {
        return CompletableFuture.completedFuture(conversations.compute(
                conversationId,
                (id, m) ->
                        m == null ? Members.of(new long[] {userId}, false) : m.managed() ? m : m.with(userId, false)));
    }
}
