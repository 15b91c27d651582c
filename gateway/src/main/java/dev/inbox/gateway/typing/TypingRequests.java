package dev.inbox.gateway.typing;

import dev.inbox.gateway.metrics.EventMeters;
import dev.inbox.gateway.routing.ConversationRouter;
import dev.inbox.gateway.routing.EventLoops;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.routing.Members;
import dev.inbox.gateway.routing.Membership;
import dev.inbox.gateway.routing.Relay;
import dev.inbox.protocol.ClientMessage;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;

/**
 * Handles {@code TYPING} frames: shed at once while the node is shedding, coalesced per sender and conversation (first
 * on the loop the frame arrived on, which drops most extras without a hop, then on the conversation's owner loop,
 * which makes it one per interval per node whichever loops a user's connections are on), then checked for membership and sent, encoded once, to the other members' connections on
 * this node ({@link ConversationRouter#deliverEvent}) and on the others ({@link Relay#publishEvent}). Never numbered,
 * stored, in the history, the outbox or the resume feed, and never waiting on a message's admission. A non-member gets
 * {@code not_a_member} (at most once per interval: coalescing comes first, so a typing flood costs no store lookups).
 *
 * <p>Thread-safe: the coalescers are each touched on their own loop only.
 */
public final class TypingRequests {
    private final Membership membership;
    private final Relay relay;
    private final ConversationRouter router;
    private final EventLoops loops;
    private final ServerFrameEncoder encoder;
    private final ByteBufAllocator alloc;
    private final EventMeters meters;
    /** One per event loop, for the conversations it owns: the exact per-node check. */
    private final TypingCoalescer[] coalescers;
    /**
     * One per event loop, for the TYPING its own connections send: a first filter that drops the extras where they
     * arrive, so most TYPING never costs a task on another loop (the mixed load scenario sends five per message).
     */
    private final TypingCoalescer[] arrivals;

    public TypingRequests(
            Membership membership,
            Relay relay,
            ConversationRouter router,
            EventLoops loops,
            ServerFrameEncoder encoder,
            ByteBufAllocator alloc,
            EventMeters meters,
            Duration interval) {
        this.membership = membership;
        this.relay = relay;
        this.router = router;
        this.loops = loops;
        this.encoder = encoder;
        this.alloc = alloc;
        this.meters = meters;
        this.coalescers = new TypingCoalescer[loops.size()];
        this.arrivals = new TypingCoalescer[loops.size()];
        for (int i = 0; i < coalescers.length; i++) {
            coalescers[i] = new TypingCoalescer(interval.toNanos());
            arrivals[i] = new TypingCoalescer(interval.toNanos());
        }
    }

    /** A decoded {@code TYPING} of {@code session}, within its rate limit. Its event loop. */
    public void typing(InboxSession session, ClientMessage frame) {
        meters.received(EventMeters.Received.TYPING);
        if (relay.crowded()) {
            meters.typingDropped(EventMeters.TypingDrop.SHED);
            return;
        }
        long conversationId = frame.conversationId();
        int here = loops.indexOf(session.channel().eventLoop());
        long now = System.nanoTime();
        if (!arrivals[here].tryForward(session.userId(), conversationId, now)) {
            meters.typingDropped(EventMeters.TypingDrop.COALESCED);
            return;
        }
        int owner = loops.ownerIndexOf(conversationId);
        if (owner == here) {
            coalesce(session, conversationId, owner);
            return;
        }
        try {
            loops.get(owner).execute(() -> coalesce(session, conversationId, owner));
        } catch (RejectedExecutionException e) {
            // Shutting down: nothing to tell anyone.
        }
    }

    private void coalesce(InboxSession session, long conversationId, int owner) {
        if (!coalescers[owner].tryForward(session.userId(), conversationId, System.nanoTime())) {
            meters.typingDropped(EventMeters.TypingDrop.COALESCED);
            return;
        }
        membership.members(conversationId).whenComplete((members, failure) -> {
            if (failure != null) {
                meters.typingDropped(
                        EventMeters.TypingDrop.SHED); // the store is struggling: typing is not worth a retry
            } else if (members == null || !members.contains(session.userId())) {
                session.sendError(
                        ErrorCode.NOT_A_MEMBER, "not a member of conversation " + conversationId, conversationId, null);
            } else {
                forward(session, conversationId, members);
            }
        });
    }

    /** Any thread: the frame is encoded once and shared by every recipient here and the relay's envelope. */
    private void forward(InboxSession session, long conversationId, Members members) {
        long senderId = session.userId();
        long[] recipients = othersThan(members.userIds(), senderId);
        if (recipients.length == 0) {
            return;
        }
        ByteBuf frame = encoder.encodeTyping(
                alloc, conversationId, senderId, session.user().name());
        try {
            if (!relay.publishEvent(conversationId, recipients, frame, true)) {
                meters.typingDropped(EventMeters.TypingDrop.SHED);
                return;
            }
            router.deliverEvent(conversationId, recipients, frame.retain(), true);
            meters.typingForwarded();
        } finally {
            frame.release();
        }
    }

    /** {@code sorted} without {@code userId}: the sender's own connections never get their own TYPING. */
    static long[] othersThan(long[] sorted, long userId) {
        int at = java.util.Arrays.binarySearch(sorted, userId);
        if (at < 0) {
            return sorted;
        }
        long[] others = new long[sorted.length - 1];
        System.arraycopy(sorted, 0, others, 0, at);
        System.arraycopy(sorted, at + 1, others, at, others.length - at);
        return others;
    }
}
