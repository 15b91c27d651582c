package dev.inbox.gateway.routing;

import dev.inbox.protocol.ServerFrameEncoder;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/** Admission on a single node: membership, ids and recent {@code client_msg_id}s held in this process. */
public final class LocalAdmission implements Admission {
    private final InMemoryMembership membership;
    private final ClockMessageIds ids;
    private final boolean dev;
    /** Recent sends, or {@code null} when resends are not recognised. */
    private final RecentSends recent;

    public LocalAdmission(InMemoryMembership membership, ClockMessageIds ids, boolean dev) {
        this(membership, ids, dev, null);
    }

    /** @param recent recent {@code client_msg_id}s, or {@code null} to treat every message as new */
    public LocalAdmission(InMemoryMembership membership, ClockMessageIds ids, boolean dev, RecentSends recent) {
        this.membership = membership;
        this.ids = ids;
        this.dev = dev;
        this.recent = recent;
    }

    /**
     * The in-memory membership's stages are complete when returned, and so are {@link ClockMessageIds}'s: then
     * {@code outcome} runs here, before this returns. There is no outbox without Redis: the publish hook is how a
     * single node hands messages to a backend. A resend is recognised only after the membership check, as with
     * Redis: someone who is not a member learns nothing.
     */
    @Override
    public void admit(
            Submitted message, ServerFrameEncoder.PreparedFrame event, BiConsumer<Admitted, Throwable> outcome) {
        long conversationId = message.conversationId();
        long senderId = message.senderId();
        String clientMsgId = recent == null ? null : message.clientMsgId();
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
                    Admitted original = clientMsgId == null ? null : recent.find(senderId, conversationId, clientMsgId);
                    if (original != null) {
                        return CompletableFuture.completedFuture(original);
                    }
                    return ids.next(conversationId).thenApply(id -> {
                        if (clientMsgId != null) {
                            recent.remember(senderId, conversationId, clientMsgId, id, message.createdAtMillis());
                        }
                        return new Admitted(id, m.userIds());
                    });
                })
                .whenComplete(outcome);
    }
}
