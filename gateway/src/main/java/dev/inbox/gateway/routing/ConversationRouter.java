package dev.inbox.gateway.routing;

import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.gateway.hook.PublishHook;
import dev.inbox.gateway.logging.ThrottledLog;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.protocol.ClientMessage;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.Ids;
import dev.inbox.protocol.ServerEvent;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes a message by its {@code conversation_id}: encodes the event once, has the {@link Admission} check the
 * sender, assign the {@code message_id} (patched into the encoded bytes) and relay it to other nodes, then delivers
 * it to every connection of every member on this node; the sending connection gets the acknowledgement carrying its
 * {@code client_msg_id} instead.
 *
 * <p>Each conversation is routed on its owner event loop ({@link EventLoops#ownerOf}), so ids are assigned and
 * frames queued to every loop in one order: every recipient sees a conversation's messages in {@code message_id}
 * order. Nothing here blocks; admission outcomes, learnt on other threads, are queued to the owner loop in the order
 * they were learnt, relayed frames with them.
 *
 * <p>With a publish hook, a client's message is first held in its conversation's {@link PublishHookQueues} until
 * the backend answers; admin API messages are not (the backend itself sent them).
 */
public final class ConversationRouter {
    private static final Logger log = LoggerFactory.getLogger(ConversationRouter.class);
    private static final ThrottledLog notAccepted = new ThrottledLog(log, "message not accepted (server_error)");

    private final Admission admission;
    private final EventLoops loops;
    private final UserGroups groups;
    private final Fanout fanout;
    private final ServerFrameEncoder encoder;
    private final ByteBufAllocator alloc;
    private final GatewayMetrics metrics;
    /** Per loop: the ordered way in for admission results and relayed frames (see {@link LoopTaskQueue}). */
    private final LoopTaskQueue[] taskQueues;
    /** Client messages waiting for the publish hook, or {@code null} without one: then the path is unchanged. */
    private final PublishHookQueues hooked;

    public ConversationRouter(
            Admission admission,
            EventLoops loops,
            UserGroups groups,
            ServerFrameEncoder encoder,
            ByteBufAllocator alloc,
            GatewayMetrics metrics) {
        this(admission, loops, groups, encoder, alloc, metrics, null);
    }

    /** @param publishHook asked about every client message before it is admitted, or {@code null} */
    public ConversationRouter(
            Admission admission,
            EventLoops loops,
            UserGroups groups,
            ServerFrameEncoder encoder,
            ByteBufAllocator alloc,
            GatewayMetrics metrics,
            PublishHook publishHook) {
        this.admission = admission;
        this.loops = loops;
        this.metrics = metrics;
        this.groups = groups;
        this.encoder = encoder;
        this.alloc = alloc;
        this.taskQueues = new LoopTaskQueue[loops.size()];
        for (int i = 0; i < taskQueues.length; i++) {
            taskQueues[i] = new LoopTaskQueue(loops.get(i), loops.writesWaitForIo());
        }
        this.fanout = new Fanout(loops, taskQueues, groups, metrics);
        this.hooked = publishHook == null
                ? null
                : new PublishHookQueues(publishHook, loops, taskQueues, s -> admit(s, loops.ownerOf(s.conversationId)));
    }

    /**
     * Delivers a frame relayed from another node to the connections here of {@code userIds}. Any thread; takes
     * ownership.
     *
     * @param acceptedAtMillis when the origin node accepted the message (its clock), for the latency meter
     */
    public void deliverRelayed(long conversationId, long[] userIds, ByteBuf frame, long acceptedAtMillis) {
        long acceptedNanos = System.nanoTime()
                - TimeUnit.MILLISECONDS.toNanos(Math.max(0, System.currentTimeMillis() - acceptedAtMillis));
        // Through the conversation's owner loop, like local messages, so both reach each connection in one order.
        taskQueues[loops.ownerIndexOf(conversationId)].execute(() -> {
            try {
                fanout.deliverRelayed(frame, userIds, acceptedNanos);
            } finally {
                frame.release();
            }
        });
    }

    /**
     * Delivers {@code frame}, an event that is not a message ({@code TYPING}, {@code READ}), to every connection of
     * {@code userIds} on this node, through the conversation's owner loop like its messages, so it reaches each
     * connection in order with them (a {@code READ} of a message never overtakes the message). Never numbered or
     * stored. Any thread; takes ownership of {@code frame}.
     *
     * @param droppable typing: skipped for connections over their outbound bound
     */
    public void deliverEvent(long conversationId, long[] userIds, ByteBuf frame, boolean droppable) {
        taskQueues[loops.ownerIndexOf(conversationId)].execute(() -> {
            try {
                fanout.deliverEvent(frame, userIds, droppable);
            } finally {
                frame.release();
            }
        });
    }

    /**
     * Runs {@code task} on the conversation's owner loop, behind everything already handed to that loop (admission
     * results, relayed frames, events): per-conversation state can live on that loop without a lock, and what the
     * task delivers stays in order with the conversation's messages. Any thread.
     */
    public void executeInOrder(long conversationId, Runnable task) {
        taskQueues[loops.ownerIndexOf(conversationId)].execute(task);
    }

    /**
     * Routes a frame from {@code sender}'s connection. Failures go back to that connection as an {@code ERROR}.
     * Any thread.
     */
    public void route(InboxSession sender, ClientMessage message) {
        AuthenticatedUser user = sender.user();
        Submission s = new Submission(
                user.id(),
                user.name(),
                user.avatar(),
                message.type(),
                message.message(),
                message.conversationId(),
                System.currentTimeMillis(),
                sender,
                message.clientMsgId());
        sender.admissionStarted();
        if (hooked != null) {
            hooked.submit(s);
        } else {
            submit(s);
        }
        // Admitted, the message is finished for the sender where its acknowledgement (or the event) is written to it
        // (Fanout), or where a resend is acknowledged (InboxSession#sendAck); refused, here.
        s.result.whenComplete((event, failure) -> {
            if (failure != null) {
                RoutingException re = unwrap(failure);
                sender.refused(re.code(), re.getMessage(), message.conversationId(), message.clientMsgId());
            }
        });
    }

    /**
     * Publishes on behalf of {@code senderId} (the admin API): the same checks, ids and delivery as a client frame,
     * without the publish hook (the backend is the caller). Completes with the delivered event, or exceptionally
     * with a {@link RoutingException}.
     */
    public CompletionStage<ServerEvent> publish(
            long senderId, String senderName, String senderAvatar, String type, String message, long conversationId) {
        Submission s = new Submission(
                senderId,
                senderName,
                senderAvatar,
                type,
                message,
                conversationId,
                System.currentTimeMillis(),
                null,
                null);
        submit(s);
        return s.result;
    }

    private void submit(Submission s) {
        EventLoop owner = loops.ownerOf(s.conversationId);
        if (owner.inEventLoop()) {
            admit(s, owner);
        } else {
            owner.execute(() -> admit(s, owner));
        }
    }

    /** On the owner loop: encode once, with a placeholder id, and let the admission check, number and relay it. */
    private void admit(Submission s, EventLoop owner) {
        ServerEvent provisional = s.event(Ids.MIN_MESSAGE_ID);
        ServerFrameEncoder.PreparedFrame prepared = encoder.encodePrepared(alloc, provisional);
        // Handed over with the admission, before Redis is asked, and always queued, never run in place: why that
        // keeps id order is docs/clustering.md#order (ConversationRouterTest).
        LoopTaskQueue queue = taskQueues[loops.ownerIndexOf(s.conversationId)];
        try {
            admission.admit(
                    s.submitted(), prepared, (a, failure) -> queue.execute(() -> admitted(s, prepared, a, failure)));
        } catch (RuntimeException e) {
            prepared.frame().release(); // nothing was sent, and the outcome will not come
            fail(s, e);
        }
    }

    /** On the owner loop, in the order the outcomes were learnt: deliver, or tell the sender why not. */
    private void admitted(Submission s, ServerFrameEncoder.PreparedFrame prepared, Admitted a, Throwable failure) {
        if (failure != null) {
            prepared.frame().release();
            fail(s, failure);
        } else if (a == null) {
            prepared.frame().release();
            s.result.completeExceptionally(
                    new RoutingException(ErrorCode.NOT_A_MEMBER, "not a member of conversation " + s.conversationId));
        } else if (a.isResend()) {
            prepared.frame().release();
            acknowledgeResend(s, a);
        } else {
            deliver(s, prepared, a);
        }
    }

    /**
     * A resend of a message admitted before (same sender, conversation and {@code client_msg_id}): only the sending
     * connection hears of it, acknowledged as the original was, with the original's {@code message_id} and
     * {@code created_at}; the text is the resend's, which is the original's for a client that resends what it sent.
     */
    private void acknowledgeResend(Submission s, Admitted original) {
        metrics.resendRecognised();
        ServerEvent event = s.event(original.messageId(), original.originalCreatedAtMillis());
        if (s.sender != null && s.clientMsgId != null) {
            InboxSession sender = s.sender;
            ByteBuf ack = encoder.encodeEvent(alloc, event, s.clientMsgId);
            if (sender.channel().eventLoop().inEventLoop()) {
                sender.sendAck(ack, groups);
            } else {
                // Through the queue the sender's deliveries take, so it stays in order with them.
                taskQueues[sender.loopIndex()].execute(() -> sender.sendAck(ack, groups));
            }
        }
        s.result.complete(event);
    }

    private void deliver(Submission s, ServerFrameEncoder.PreparedFrame prepared, Admitted admitted) {
        ByteBuf frame = prepared.frame();
        ByteBuf ack = null;
        ServerEvent event;
        try {
            ServerFrameEncoder.writeMessageId(frame, prepared.messageIdAt(), admitted.messageId());
            event = s.event(admitted.messageId());
            if (s.sender != null && s.clientMsgId != null) {
                ack = encoder.encodeEvent(alloc, event, s.clientMsgId);
            }
            metrics.messageRouted(s.sender == null);
            fanout.deliver(frame, admitted.members(), s.sender, ack, s.acceptedNanos);
        } finally {
            frame.release();
            if (ack != null) {
                ack.release();
            }
        }
        s.result.complete(event);
    }

    private static void fail(Submission s, Throwable failure) {
        RoutingException re = unwrap(failure);
        if (re.code() == ErrorCode.SERVER_ERROR) {
            notAccepted.warn("conversation " + s.conversationId, failure);
        }
        s.result.completeExceptionally(re);
    }

    private static RoutingException unwrap(Throwable t) {
        Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        if (cause instanceof RoutingException re) {
            return re;
        }
        return new RoutingException(ErrorCode.SERVER_ERROR, "message not accepted; it was not delivered, retry");
    }

    /** One message on its way, with everything the event needs. */
    static final class Submission {
        final long senderId;
        final String senderName;
        final String senderAvatar;
        final String type;
        /** The text; the publish hook's answer may replace it before admission, on the owner loop. */
        String message;

        final long conversationId;
        final long acceptedAtMillis;
        /** {@link System#nanoTime()} at accept, for the delivery latency meter. */
        final long acceptedNanos = System.nanoTime();

        final InboxSession sender;
        final String clientMsgId;
        final CompletableFuture<ServerEvent> result = new CompletableFuture<>();

        Submitted submitted() {
            return new Submitted(
                    conversationId,
                    senderId,
                    senderName,
                    senderAvatar,
                    type,
                    message,
                    acceptedAtMillis,
                    clientMsgId,
                    sender == null);
        }

        ServerEvent event(long messageId) {
            return event(messageId, acceptedAtMillis);
        }

        ServerEvent event(long messageId, long createdAtMillis) {
            return new ServerEvent(
                    type, message, conversationId, senderId, senderName, senderAvatar, createdAtMillis, messageId);
        }

        Submission(
                long senderId,
                String senderName,
                String senderAvatar,
                String type,
                String message,
                long conversationId,
                long acceptedAtMillis,
                InboxSession sender,
                String clientMsgId) {
            this.senderId = senderId;
            this.senderName = senderName;
            this.senderAvatar = senderAvatar;
            this.type = type;
            this.message = message;
            this.conversationId = conversationId;
            this.acceptedAtMillis = acceptedAtMillis;
            this.sender = sender;
            this.clientMsgId = clientMsgId;
        }
    }
}
