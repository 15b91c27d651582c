package dev.inbox.gateway.routing;

import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.protocol.ClientMessage;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.ServerEvent;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Routes a message by its {@code conversation_id}: checks that the sender is a member (in dev mode, joins an open
 * conversation), assigns the {@code message_id}, encodes the event once and delivers it to every connection of
 * every member on this node; the sending connection gets the acknowledgement carrying its {@code client_msg_id}
 * instead.
 *
 * <p>Each conversation is routed on its owner event loop ({@link EventLoops#ownerOf}), so ids are assigned and
 * frames queued to every loop in one order: every recipient sees a conversation's messages in {@code message_id}
 * order. Nothing here blocks; membership and id stages that complete later continue on the owner loop.
 */
public final class ConversationRouter {
    private static final Logger log = LoggerFactory.getLogger(ConversationRouter.class);

    private final Membership membership;
    private final MessageIdSequencer ids;
    private final EventLoops loops;
    private final Fanout fanout;
    private final ServerFrameEncoder encoder;
    private final ByteBufAllocator alloc;
    private final boolean dev;

    public ConversationRouter(Membership membership, MessageIdSequencer ids, EventLoops loops, UserGroups groups,
                              ServerFrameEncoder encoder, ByteBufAllocator alloc, boolean dev) {
        this.membership = membership;
        this.ids = ids;
        this.loops = loops;
        this.fanout = new Fanout(loops, groups);
        this.encoder = encoder;
        this.alloc = alloc;
        this.dev = dev;
    }

    /**
     * Routes a frame from {@code sender}'s connection. Failures go back to that connection as an {@code ERROR}.
     * Any thread.
     */
    public void route(InboxSession sender, ClientMessage message) {
        AuthenticatedUser user = sender.user();
        Submission s = new Submission(user.id(), user.name(), user.avatar(), message.type(), message.message(),
                message.conversationId(), System.currentTimeMillis(), sender, message.clientMsgId());
        submit(s);
        s.result.whenComplete((event, failure) -> {
            if (failure != null) {
                RoutingException re = unwrap(failure);
                sender.sendError(re.code(), re.getMessage(), message.conversationId(), message.clientMsgId());
            }
        });
    }

    /**
     * Publishes on behalf of {@code senderId} (the admin API): the same checks, ids and delivery as a client frame.
     * Completes with the delivered event, or exceptionally with a {@link RoutingException}.
     */
    public CompletionStage<ServerEvent> publish(long senderId, String senderName, String senderAvatar, String type,
                                                String message, long conversationId) {
        Submission s = new Submission(senderId, senderName, senderAvatar, type, message, conversationId,
                System.currentTimeMillis(), null, null);
        submit(s);
        return s.result;
    }

    private void submit(Submission s) {
        EventLoop owner = loops.ownerOf(s.conversationId);
        if (owner.inEventLoop()) {
            checkMembership(s, owner);
        } else {
            owner.execute(() -> checkMembership(s, owner));
        }
    }

    private void checkMembership(Submission s, EventLoop owner) {
        membership.members(s.conversationId).thenCompose(m -> {
            if (dev && (m == null || (!m.managed() && !m.contains(s.senderId)))) {
                return membership.joinOpen(s.conversationId, s.senderId);
            }
            return CompletableFuture.completedFuture(m);
        }).whenComplete((members, failure) -> onOwner(owner, () -> {
            if (failure != null) {
                fail(s, failure);
            } else if (members == null || !members.contains(s.senderId)) {
                s.result.completeExceptionally(new RoutingException(ErrorCode.NOT_A_MEMBER,
                        "not a member of conversation " + s.conversationId));
            } else {
                assignId(s, members, owner);
            }
        }));
    }

    private void assignId(Submission s, Members members, EventLoop owner) {
        ids.next(s.conversationId).whenComplete((id, failure) -> onOwner(owner, () -> {
            if (failure != null) {
                fail(s, failure);
            } else {
                deliver(s, members, id);
            }
        }));
    }

    private void deliver(Submission s, Members members, long messageId) {
        ServerEvent event = new ServerEvent(s.type, s.message, s.conversationId, s.senderId, s.senderName,
                s.senderAvatar, s.acceptedAtMillis, messageId);
        ByteBuf frame = encoder.encodeEvent(alloc, event, null);
        ByteBuf ack = s.sender != null && s.clientMsgId != null ? encoder.encodeEvent(alloc, event, s.clientMsgId) : null;
        try {
            fanout.deliver(frame, members.userIds(), s.sender, ack);
        } finally {
            frame.release();
            if (ack != null) {
                ack.release();
            }
        }
        s.result.complete(event);
    }

    private static void onOwner(EventLoop owner, Runnable step) {
        if (owner.inEventLoop()) {
            step.run();
        } else {
            owner.execute(step);
        }
    }

    private static void fail(Submission s, Throwable failure) {
        RoutingException re = unwrap(failure);
        if (re.code() == ErrorCode.SERVER_ERROR) {
            log.warn("conversation {}: message not accepted", s.conversationId, failure);
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
    private static final class Submission {
        final long senderId;
        final String senderName;
        final String senderAvatar;
        final String type;
        final String message;
        final long conversationId;
        final long acceptedAtMillis;
        final InboxSession sender;
        final String clientMsgId;
        final CompletableFuture<ServerEvent> result = new CompletableFuture<>();

        Submission(long senderId, String senderName, String senderAvatar, String type, String message,
                   long conversationId, long acceptedAtMillis, InboxSession sender, String clientMsgId) {
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
