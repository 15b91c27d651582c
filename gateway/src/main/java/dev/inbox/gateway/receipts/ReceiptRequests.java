package dev.inbox.gateway.receipts;

import dev.inbox.gateway.metrics.EventMeters;
import dev.inbox.gateway.routing.ConversationRouter;
import dev.inbox.gateway.routing.EventLoops;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.routing.Relay;
import dev.inbox.protocol.ClientMessage;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;

/**
 * Handles {@code READ}, {@code READS} and {@code UNREAD} frames. A {@code READ} that moves the reader's position is
 * sent, encoded once, as a {@code READ} event to every member's connections on every node, the reader's own included
 * (also the connection that sent it: one rule for every tab, docs/protocol.md), through the conversation's owner loop
 * so it never overtakes the message it names. There, unless {@code --read-interval} is 0, a {@link
 * ReadEventCoalescer} per loop merges a reader's moves within the interval into one event (the stored position has
 * moved at once), before anything is published to other nodes. {@code READS} and {@code UNREAD} are answered to the
 * asking connection alone. Store failures become {@code relay_unavailable}; nothing here blocks.
 *
 * <p>Thread-safe: one instance serves every connection; the coalescers are each touched on their own loop only.
 */
public final class ReceiptRequests {
    private final ReadPositions positions;
    private final UnreadCounter unread;
    private final Relay relay;
    private final ConversationRouter router;
    private final ServerFrameEncoder encoder;
    private final ByteBufAllocator alloc;
    private final EventMeters meters;
    private final int maxConversations;
    private final EventLoops loops;
    /** One per event loop, for the conversations it owns; {@code null} with {@code --read-interval 0}. */
    private final ReadEventCoalescer[] coalescers;

    /**
     * @param maxConversations most conversations one {@code UNREAD} answer looks at
     * @param readInterval     a reader's moves within it make one {@code READ} event; zero: every move is sent
     */
    public ReceiptRequests(
            ReadPositions positions,
            UnreadCounter unread,
            Relay relay,
            ConversationRouter router,
            EventLoops loops,
            ServerFrameEncoder encoder,
            ByteBufAllocator alloc,
            EventMeters meters,
            int maxConversations,
            Duration readInterval) {
        this.positions = positions;
        this.unread = unread;
        this.relay = relay;
        this.router = router;
        this.loops = loops;
        this.encoder = encoder;
        this.alloc = alloc;
        this.meters = meters;
        this.maxConversations = maxConversations;
        if (readInterval.isZero()) {
            this.coalescers = null;
        } else {
            this.coalescers = new ReadEventCoalescer[loops.size()];
            for (int i = 0; i < coalescers.length; i++) {
                coalescers[i] = new ReadEventCoalescer(loops.get(i), readInterval.toNanos(), this::forward, meters);
            }
        }
    }

    /** A decoded {@code READ}, {@code READS} or {@code UNREAD} of {@code session}, within its rate limit. */
    public void answer(InboxSession session, ClientMessage frame) {
        switch (frame.type()) {
            case "READ" -> read(session, frame);
            case "READS" -> reads(session, frame.conversationId());
            default -> unread(session);
        }
    }

    private void read(InboxSession session, ClientMessage frame) {
        meters.received(EventMeters.Received.READ);
        long conversationId = frame.conversationId();
        long userId = session.userId();
        long messageId = frame.messageId();
        stage(() -> positions.advance(conversationId, userId, messageId, System.currentTimeMillis()))
                .whenComplete((move, failure) -> {
                    if (failure != null) {
                        meters.read(EventMeters.ReadOutcome.FAILED);
                        session.sendError(
                                ErrorCode.RELAY_UNAVAILABLE,
                                "read position not stored: the store did not answer; retry later",
                                conversationId,
                                null);
                        return;
                    }
                    switch (move.outcome()) {
                        case NOT_A_MEMBER -> {
                            meters.read(EventMeters.ReadOutcome.NOT_A_MEMBER);
                            session.sendError(
                                    ErrorCode.NOT_A_MEMBER,
                                    "not a member of conversation " + conversationId,
                                    conversationId,
                                    null);
                        }
                        case BEYOND -> {
                            meters.read(EventMeters.ReadOutcome.BEYOND);
                            session.sendError(
                                    ErrorCode.BAD_READ_POSITION,
                                    "message_id " + messageId + " is beyond the last message of conversation "
                                            + conversationId,
                                    conversationId,
                                    null);
                        }
                        case BEHIND -> meters.read(EventMeters.ReadOutcome.BEHIND);
                        case MOVED -> {
                            meters.read(EventMeters.ReadOutcome.MOVED);
                            moved(conversationId, userId, messageId, move.members());
                        }
                    }
                });
    }

    /** Any thread: to the owner loop's coalescer, in order behind what the loop has for the conversation already. */
    private void moved(long conversationId, long userId, long messageId, long[] members) {
        if (coalescers == null) {
            forward(conversationId, userId, messageId, members);
            return;
        }
        ReadEventCoalescer coalescer = coalescers[loops.ownerIndexOf(conversationId)];
        router.executeInOrder(conversationId, () -> coalescer.moved(conversationId, userId, messageId, members));
    }

    /** Any thread: the event encoded once, published to the other nodes and queued for the connections here. */
    private void forward(long conversationId, long userId, long messageId, long[] members) {
        ByteBuf frame = encoder.encodeRead(alloc, conversationId, userId, messageId);
        try {
            relay.publishEvent(conversationId, members, frame, false);
            router.deliverEvent(conversationId, members, frame.retain(), false);
            meters.readForwarded();
        } finally {
            frame.release();
        }
    }

    /** What a {@code READS} frame answers. */
    private record ReadsAnswer(ReadPositions.Positions positions, UnreadCounter.Count unread) {}

    private void reads(InboxSession session, long conversationId) {
        meters.received(EventMeters.Received.READS);
        long userId = session.userId();
        stage(() -> positions.positions(conversationId, userId))
                .thenCompose(p -> p == null
                        ? CompletableFuture.<ReadsAnswer>completedFuture(null)
                        : unread.count(conversationId, userId, p.of(userId)).thenApply(c -> new ReadsAnswer(p, c)))
                .whenComplete((answer, failure) -> {
                    if (failure != null) {
                        session.sendError(
                                ErrorCode.RELAY_UNAVAILABLE,
                                "read positions unavailable: the store did not answer; retry later",
                                conversationId,
                                null);
                    } else if (answer == null) {
                        session.sendError(
                                ErrorCode.NOT_A_MEMBER,
                                "not a member of conversation " + conversationId,
                                conversationId,
                                null);
                    } else {
                        ReadPositions.Positions p = answer.positions();
                        UnreadCounter.Count c = answer.unread();
                        send(
                                session,
                                () -> encoder.encodeReads(
                                        alloc, conversationId, c.unread(), c.capped(), p.userIds(), p.messageIds()));
                    }
                });
    }

    private void unread(InboxSession session) {
        meters.received(EventMeters.Received.UNREAD);
        long userId = session.userId();
        unreadOf(userId).whenComplete((counts, failure) -> {
            if (failure != null) {
                session.sendError(
                        ErrorCode.RELAY_UNAVAILABLE,
                        "unread counts unavailable: the store did not answer; retry later",
                        ClientMessage.NO_CONVERSATION,
                        null);
            } else {
                send(session, () -> encoder.encodeUnread(alloc, counts.conversationIds, counts.unread, counts.capped));
            }
        });
    }

    /** A user's unread counts, conversations with none left out; shared with the admin API. */
    public static final class UnreadCounts {
        public final long[] conversationIds;
        public final long[] unread;
        public final boolean[] capped;

        UnreadCounts(long[] conversationIds, long[] unread, boolean[] capped) {
            this.conversationIds = conversationIds;
            this.unread = unread;
            this.capped = capped;
        }
    }

    /**
     * {@code userId}'s unread counts in up to {@code --unread-max-conversations} of the conversations in which it has a
     * read position (it has sent a {@code READ} there), those it is still a member of and has unread messages in.
     */
    public CompletionStage<UnreadCounts> unreadOf(long userId) {
        return stage(() -> positions.conversationsOf(userId, maxConversations)).thenCompose(conversations -> {
            java.util.Arrays.sort(conversations); // a stable order for clients and tests
            @SuppressWarnings("unchecked")
            CompletableFuture<UnreadCounter.Count>[] counts = new CompletableFuture[conversations.length];
            for (int i = 0; i < conversations.length; i++) {
                long c = conversations[i];
                counts[i] = stage(() -> positions.positions(c, userId))
                        .thenCompose(p -> p == null
                                ? CompletableFuture.completedFuture(new UnreadCounter.Count(0, false))
                                : unread.count(c, userId, p.of(userId)))
                        .toCompletableFuture();
            }
            return CompletableFuture.allOf(counts).thenApply(v -> {
                int n = 0;
                long[] ids = new long[conversations.length];
                long[] unread = new long[conversations.length];
                boolean[] capped = new boolean[conversations.length];
                for (int i = 0; i < conversations.length; i++) {
                    UnreadCounter.Count c = counts[i].join();
                    if (c.unread() > 0) {
                        ids[n] = conversations[i];
                        unread[n] = c.unread();
                        capped[n++] = c.capped();
                    }
                }
                return new UnreadCounts(
                        java.util.Arrays.copyOf(ids, n),
                        java.util.Arrays.copyOf(unread, n),
                        java.util.Arrays.copyOf(capped, n));
            });
        });
    }

    /** The positions of a conversation's members, for the admin API (no membership check). */
    public CompletionStage<ReadPositions.Positions> positionsOf(long conversationId) {
        return stage(() -> positions.positions(conversationId, 0));
    }

    /** Encodes and writes an answer on the connection's loop (encoded there, so a closed connection costs nothing). */
    private static void send(InboxSession session, java.util.function.Supplier<ByteBuf> answer) {
        try {
            session.channel().eventLoop().execute(() -> session.sendFrame(answer.get()));
        } catch (RejectedExecutionException e) {
            // Shutting down.
        }
    }

    /** A store call that throws at once becomes a failed stage, answered like a late failure. */
    private static <T> CompletionStage<T> stage(java.util.function.Supplier<CompletionStage<T>> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
