package dev.inbox.gateway.routing;

import dev.inbox.gateway.history.LocalHistory;
import dev.inbox.protocol.Ids;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/** Admission on a single node: membership, ids, history and recent {@code client_msg_id}s held in this process. */
public final class LocalAdmission implements Admission {
    private final InMemoryMembership membership;
    private final ClockMessageIds ids;
    private final boolean dev;
    /** Recent sends, or {@code null} when resends are not recognised. */
    private final RecentSends recent;

    /** {@code null}: no history kept. */
    private final LocalHistory history;

    private final long historyMaxAgeMillis;
    /** Written before the outcome is handed on, so a feed holds every event before it is delivered. */
    private final LocalUserFeed feed;

    public LocalAdmission(InMemoryMembership membership, ClockMessageIds ids, boolean dev) {
        this(membership, ids, dev, null, Duration.ZERO, null, new LocalUserFeed(1, 1));
    }

    /**
     * @param history    where admitted events are kept, or {@code null} for none
     * @param historyAge events older than this leave the history
     * @param recent     recent {@code client_msg_id}s, or {@code null} to treat every message as new
     * @param feed       each user's feed of delivered events, for resuming
     */
    public LocalAdmission(
            InMemoryMembership membership,
            ClockMessageIds ids,
            boolean dev,
            LocalHistory history,
            Duration historyAge,
            RecentSends recent,
            LocalUserFeed feed) {
        this.membership = membership;
        this.ids = ids;
        this.dev = dev;
        this.history = history;
        this.historyMaxAgeMillis = historyAge.toMillis();
        this.recent = recent;
        this.feed = feed;
    }

    /**
     * The in-memory membership's stages are complete when returned, and so are {@link ClockMessageIds}'s: then
     * {@code outcome} runs here, before this returns. There is no outbox without Redis: the publish hook is how a
     * single node hands messages to a backend. A resend is recognised only after the membership check, as with
     * Redis: someone who is not a member learns nothing. The history is appended here, in the step that gives the id,
     * on the conversation's owner loop: history order is id order.
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
                    long previous = ids.last(conversationId);
                    return ids.next(conversationId).thenApply(id -> {
                        if (clientMsgId != null) {
                            recent.remember(senderId, conversationId, clientMsgId, id, message.createdAtMillis());
                        }
                        if (history != null) {
                            long now = System.currentTimeMillis();
                            history.append(
                                    conversationId,
                                    previous,
                                    id,
                                    ClockMessageIds.floor(now - historyMaxAgeMillis),
                                    json(event, id));
                        }
                        long[] members = m.userIds();
                        feed.append(members, conversationId, id);
                        return new Admitted(id, members);
                    });
                })
                .whenComplete(outcome);
    }

    /** The event's JSON as members receive it: a copy of the frame's payload with the id written in. */
    static byte[] json(ServerFrameEncoder.PreparedFrame event, long messageId) {
        ByteBuf frame = event.frame();
        ByteBuf payload = ServerFrameEncoder.payloadOf(frame);
        byte[] json = new byte[payload.readableBytes()];
        payload.getBytes(payload.readerIndex(), json);
        int payloadStart = frame.readerIndex() + frame.readableBytes() - json.length;
        long v = messageId;
        for (int i = event.messageIdAt() - payloadStart + Ids.MESSAGE_ID_DIGITS - 1;
                i >= event.messageIdAt() - payloadStart;
                i--) {
            json[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        return json;
    }
}
