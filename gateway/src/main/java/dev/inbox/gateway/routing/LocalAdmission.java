package dev.inbox.gateway.routing;

import dev.inbox.protocol.ServerFrameEncoder;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Admission on a single node: membership and ids held in this process. */
public final class LocalAdmission implements Admission {
    private final InMemoryMembership membership;
    private final MessageIdSequencer ids;
    private final boolean dev;

    public LocalAdmission(InMemoryMembership membership, MessageIdSequencer ids, boolean dev) {
        this.membership = membership;
        this.ids = ids;
        this.dev = dev;
    }

    @Override
    public CompletionStage<Admitted> admit(long conversationId, long senderId, ServerFrameEncoder.PreparedFrame event) {
        return membership.members(conversationId).thenCompose(m -> {
            if (dev && (m == null || (!m.managed() && !m.contains(senderId)))) {
                return membership.joinOpen(conversationId, senderId);
            }
            return CompletableFuture.completedFuture(m);
        }).thenCompose(m -> {
            if (m == null || !m.contains(senderId)) {
                return CompletableFuture.completedFuture(null);
            }
            return ids.next(conversationId).thenApply(id -> new Admitted(id, m.userIds()));
        });
    }
}
