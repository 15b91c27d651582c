package dev.inbox.gateway.routing;

import dev.inbox.protocol.ServerFrameEncoder;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/** Admission on a single node: membership and ids held in this process. */
public final class LocalAdmission implements Admission {
    private final InMemoryMembership membership;
    private final ClockMessageIds ids;
    private final boolean dev;
    /** Written before the outcome is handed on, so a feed holds every event before it is delivered. */
    private final LocalUserFeed feed;

    public LocalAdmission(InMemoryMembership membership, ClockMessageIds ids, boolean dev, LocalUserFeed feed) {
        this.membership = membership;
        this.ids = ids;
        this.dev = dev;
        this.feed = feed;
    }

    /**
     * The in-memory membership's stages are complete when returned, and so are {@link ClockMessageIds}'s: then
     * {@code outcome} runs here, before this returns. There is no outbox without Redis: the publish hook is how a
     * single node hands messages to a backend.
     */
    @Override
    public void admit(
            Submitted message, ServerFrameEncoder.PreparedFrame event, BiConsumer<Admitted, Throwable> outcome) {
        long conversationId = message.conversationId();
        long senderId = message.senderId();
        membership
                .members(conversationId)
                .thenCompose(m -> {
                    if (dev && (m == null || (!m.managed() && !m.contains(senderId)))) {
                        return membership.joinOpen(conversationId, senderId);
                    }
                    return CompletableFuture.completedFuture(m);
                })
                .thenCompose(m -> {
                    if (m == null || !m.contains(senderId)) {
                        return CompletableFuture.<Admitted>completedFuture(null);
                    }
                    return ids.next(conversationId).thenApply(id -> {
                        long[] members = m.userIds();
                        feed.append(members, conversationId, id);
                        return new Admitted(id, members);
                    });
                })
                .whenComplete(outcome);
    }
}
