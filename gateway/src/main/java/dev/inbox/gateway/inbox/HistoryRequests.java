package dev.inbox.gateway.inbox;

import dev.inbox.gateway.history.HistoryPage;
import dev.inbox.gateway.history.HistoryReader;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.metrics.HistoryOutcome;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.routing.Members;
import dev.inbox.gateway.routing.Membership;
import dev.inbox.protocol.ClientMessage;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.ServerFrameEncoder;
import java.util.concurrent.CompletableFuture;

/**
 * Answers a connection's {@code HISTORY} frames: checks that its user is a member of the conversation, reads one page
 * back from the conversation's history and writes it as one frame. At most one request per connection is in flight
 * (the next one meanwhile gets {@code history_busy}), so a client cannot pile reads on the node or on Redis; the
 * frames themselves spend the connection's message rate like any other.
 *
 * <p>Runs on the connection's event loop; the membership and history stages complete anywhere and the answer is
 * written back on that loop. Thread-safe and stateless: one instance serves every connection.
 */
public final class HistoryRequests {
    private final Membership membership;
    private final HistoryReader reader;
    private final ServerFrameEncoder encoder;
    private final GatewayMetrics metrics;

    public HistoryRequests(
            Membership membership, HistoryReader reader, ServerFrameEncoder encoder, GatewayMetrics metrics) {
        this.membership = membership;
        this.reader = reader;
        this.encoder = encoder;
        this.metrics = metrics;
    }

    /** Answers {@code request}, a decoded {@code HISTORY} frame of {@code session}. Event loop only. */
    public void answer(InboxSession session, ClientMessage request) {
        long conversationId = request.conversationId();
        if (!session.startHistoryRead()) {
            metrics.historyRead(HistoryOutcome.BUSY);
            session.sendError(
                    ErrorCode.HISTORY_BUSY,
                    "a HISTORY request of this connection is still being answered; send this one after its answer",
                    conversationId,
                    request.clientMsgId());
            return;
        }
        try {
            membership
                    .members(conversationId)
                    .thenCompose(members -> {
                        if (!isMember(members, session.userId())) {
                            return CompletableFuture.<HistoryPage>completedFuture(null);
                        }
                        return reader.before(conversationId, request.before(), request.limit());
                    })
                    .whenComplete((page, failure) ->
                            session.channel().eventLoop().execute(() -> answered(session, request, page, failure)));
        } catch (RuntimeException e) {
            answered(session, request, null, e);
        }
    }

    private static boolean isMember(Members members, long userId) {
        return members != null && members.contains(userId);
    }

    private void answered(InboxSession session, ClientMessage request, HistoryPage page, Throwable failure) {
        session.endHistoryRead();
        long conversationId = request.conversationId();
        if (failure != null) {
            metrics.historyRead(HistoryOutcome.FAILED);
            session.sendError(
                    ErrorCode.RELAY_UNAVAILABLE,
                    "history unavailable: the store did not answer; retry later",
                    conversationId,
                    request.clientMsgId());
            return;
        }
        if (page == null) {
            metrics.historyRead(HistoryOutcome.NOT_A_MEMBER);
            session.sendError(
                    ErrorCode.NOT_A_MEMBER,
                    "not a member of conversation " + conversationId,
                    conversationId,
                    request.clientMsgId());
            return;
        }
        metrics.historyRead(page.trimmed() ? HistoryOutcome.TRIMMED : HistoryOutcome.OK);
        session.sendFrame(HistoryReader.frame(encoder, session.channel().alloc(), conversationId, page));
    }
}
