package dev.inbox.gateway.inbox;

import dev.inbox.gateway.auth.HandshakeHandler;
import dev.inbox.gateway.metrics.EventMeters;
import dev.inbox.gateway.metrics.Limit;
import dev.inbox.gateway.presence.PresenceRequests;
import dev.inbox.gateway.receipts.ReceiptRequests;
import dev.inbox.gateway.routing.ConversationRouter;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.routing.UserGroups;
import dev.inbox.gateway.typing.TypingRequests;
import dev.inbox.protocol.ClientMessage;
import dev.inbox.protocol.ClientMessageDecoder;
import dev.inbox.protocol.CloseCode;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.PresenceRequest;
import dev.inbox.protocol.PresenceRequestDecoder;
import dev.inbox.protocol.ProtocolException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * The production {@link InboxEndpoint}: the router's side of an upgraded connection. Text messages (already
 * reassembled and UTF-8-checked) are decoded and routed ({@code HISTORY} requests to {@link HistoryRequests},
 * {@code PRESENCE_SUBSCRIBE}/{@code PRESENCE_UNSUBSCRIBE} to {@link PresenceRequests},
 * {@code TYPING} to {@link TypingRequests}, {@code READ}/{@code READS}/{@code UNREAD} to {@link ReceiptRequests}, on a
 * rate limit of their own); a bad one gets an {@code ERROR} and the connection stays
 * open. Binary messages get {@code binary_not_supported}. A connection that keeps sending past the rate limit is
 * closed with 1008; when the user's token expires, with 4501. Control frames and protocol violations are
 * {@link ConnectionHandler}'s.
 *
 * <p>Stateless apart from each connection's {@link InboxSession}: one instance serves every connection.
 */
public final class InboxFrameHandler implements InboxEndpoint {
    private final ClientMessageDecoder decoder;
    private final ConversationRouter router;
    private final UserGroups groups;
    private final int messagesPerSecond;
    private final int messageBurst;
    private final Resumer resumer;
    private final HistoryRequests history;
    /** Presence frames' decoder and handler; {@code null} in tests that build a handler without presence. */
    private final PresenceRequestDecoder presenceDecoder;

    private final PresenceRequests presence;
    /** TYPING frames; {@code null} without typing and receipts (then their frames get unknown_type). */
    private final TypingRequests typing;
    /** READ, READS and UNREAD frames; {@code null} with {@link #typing}. */
    private final ReceiptRequests receipts;

    private final int eventsPerSecond;
    private final int eventBurst;

    /**
     * @param messagesPerSecond each connection's sustained message rate
     * @param messageBurst      messages at once; refused this many times in a row, the connection is closed (1008)
     * @param history           answers {@code HISTORY} frames
     */
    public InboxFrameHandler(
            ClientMessageDecoder decoder,
            ConversationRouter router,
            UserGroups groups,
            int messagesPerSecond,
            int messageBurst,
            HistoryRequests history,
            Resumer resumer) {
        this(decoder, router, groups, messagesPerSecond, messageBurst, history, resumer, null, null, null, null, 1, 1);
    }

    /**
     * @param presenceDecoder reads presence frames, which {@code presence} answers (both null: none are answered)
     * @param typing          answers {@code TYPING} frames
     * @param receipts        answers {@code READ}, {@code READS} and {@code UNREAD} frames
     * @param eventsPerSecond each connection's sustained rate of those frames, apart from its message rate
     * @param eventBurst      those frames at once
     */
    public InboxFrameHandler(
            ClientMessageDecoder decoder,
            ConversationRouter router,
            UserGroups groups,
            int messagesPerSecond,
            int messageBurst,
            HistoryRequests history,
            Resumer resumer,
            PresenceRequestDecoder presenceDecoder,
            PresenceRequests presence,
            TypingRequests typing,
            ReceiptRequests receipts,
            int eventsPerSecond,
            int eventBurst) {
        this.presenceDecoder = presenceDecoder;
        this.presence = presence;
        this.typing = typing;
        this.receipts = receipts;
        this.eventsPerSecond = eventsPerSecond;
        this.eventBurst = eventBurst;
        this.history = history;
        this.resumer = resumer;
        this.decoder = decoder;
        this.router = router;
        this.groups = groups;
        this.messagesPerSecond = messagesPerSecond;
        this.messageBurst = messageBurst;
    }

    /** Joins the session's user group; the keepalive handler closes it when the token expires. */
    @Override
    public void start(InboxSession session) {
        if (session.channel().hasAttr(HandshakeHandler.RESUME_REQUESTED)) {
            session.startHolding(); // before the join: no live event may slip past the hold (see Resumer)
        }
        if (groups.join(session) && presence != null) {
            presence.connectionsChanged(session.userId());
        }
        AccessLog.opened(session);
    }

    /** The connection is gone: its user's group lets go of it, and the access log has its last line. */
    @Override
    public void closed(InboxSession session) {
        boolean last = groups.leave(session);
        if (presence != null) {
            presence.closed(session);
            if (last) {
                presence.connectionsChanged(session.userId());
            }
        }
        session.stopHolding().forEach(io.netty.buffer.ByteBuf::release);
        AccessLog.closed(session);
    }

    @Override
    public void message(InboxSession session, WebSocketFrame msg) {
        try {
            if (msg instanceof TextWebSocketFrame text) {
                onText(session, text);
            } else if (msg instanceof BinaryWebSocketFrame) {
                session.sendError(
                        ErrorCode.BINARY_NOT_SUPPORTED, "binary frames are not supported; send JSON text", 0, null);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onText(InboxSession session, TextWebSocketFrame frame) {
        boolean resumeFirst = session.channel().hasAttr(HandshakeHandler.RESUME_REQUESTED)
                && session.channel().attr(HandshakeHandler.RESUME_REQUESTED).get() != null;
        ClientMessage decoded = null;
        ProtocolException bad = null;
        if (!resumeFirst) {
            try {
                decoded = decoder.decode(frame.content());
            } catch (ProtocolException e) {
                bad = e;
            }
        }
        if (decoded != null && decoded.isReceiptOrTyping() && typing != null) {
            onTypingOrReceipt(session, decoded); // their own rate: typing never eats into the message rate
            return;
        }
        // Every other text frame spends a token, well-formed or not: a flood of garbage is a flood.
        boolean allowed = session.tryTakeMessage(messagesPerSecond, messageBurst);
        if (!allowed && session.refusedInRow() >= messageBurst) {
            session.metrics().limitHit(Limit.FLOOD_CLOSE);
            session.close(CloseCode.POLICY_VIOLATION);
            return;
        }
        if (session.channel().attr(HandshakeHandler.RESUME_REQUESTED).getAndSet(null) != null) {
            resumer.resume(session, frame.content()); // the first frame of a connection opened with ?resume=1
            return;
        }
        ClientMessage message = decoded;
        if (bad != null) {
            ProtocolException e = bad;
            if (allowed && presence != null && e.code() != ErrorCode.BAD_JSON && answeredAsPresence(session, frame)) {
                return;
            }
            session.sendError(
                    allowed ? e.code() : ErrorCode.RATE_LIMITED,
                    allowed ? e.getMessage() : "rate limit: at most " + messagesPerSecond + " messages a second",
                    e.conversationId(),
                    e.clientMsgId());
            return;
        }
        if (message.isReceiptOrTyping()) {
            session.sendError(
                    ErrorCode.UNKNOWN_TYPE,
                    "unknown type: this endpoint answers TEXT and HISTORY only",
                    message.conversationId(),
                    null);
            return;
        }
        if (!allowed) {
            session.metrics().limitHit(Limit.RATE);
            session.sendError(
                    ErrorCode.RATE_LIMITED,
                    "rate limit: at most " + messagesPerSecond + " messages a second; this one was not delivered",
                    message.conversationId(),
                    message.clientMsgId());
            return;
        }
        if (message.isHistoryRequest()) {
            history.answer(session, message);
            return;
        }
        router.route(session, message);
    }

    /**
     * A frame the message decoder refused may be a presence frame: the message decoder refuses every type it does not
     * know, so only refused frames are read a second time, and a message costs nothing more than before. True when
     * the frame was a presence frame and has been answered (handled, or refused with the presence decoder's error).
     */
    private boolean answeredAsPresence(InboxSession session, TextWebSocketFrame frame) {
        PresenceRequest request;
        try {
            request = presenceDecoder.decode(frame.content());
        } catch (ProtocolException e) {
            session.sendError(e.code(), e.getMessage(), e.conversationId(), e.clientMsgId());
            return true;
        }
        if (request == null) {
            return false; // another type: the message decoder's error stands
        }
        presence.handle(session, request);
        return true;
    }

    /**
     * A {@code TYPING}, {@code READ}, {@code READS} or {@code UNREAD} frame, on its own token bucket: over it a TYPING is
     * dropped without a word (a typing flood must not turn into an error storm), the others get {@code rate_limited}.
     */
    private void onTypingOrReceipt(InboxSession session, ClientMessage m) {
        boolean isTyping = ClientMessageDecoder.TYPE_TYPING.equals(m.type());
        if (!session.tryTakeEvent(eventsPerSecond, eventBurst)) {
            if (isTyping) {
                session.metrics().events().typingDropped(EventMeters.TypingDrop.RATE_LIMITED);
            } else {
                session.metrics().limitHit(Limit.RATE);
                session.sendError(
                        ErrorCode.RATE_LIMITED,
                        "rate limit: at most " + eventsPerSecond + " typing and receipt frames a second",
                        m.conversationId(),
                        null);
            }
            return;
        }
        if (isTyping) {
            typing.typing(session, m);
        } else {
            receipts.answer(session, m);
        }
    }
}
