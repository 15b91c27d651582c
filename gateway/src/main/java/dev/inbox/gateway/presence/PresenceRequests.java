package dev.inbox.gateway.presence;

import dev.inbox.gateway.metrics.PresenceMeters;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.routing.TokenBucket;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.PresenceRequest;
import io.netty.util.AttributeKey;

/**
 * Answers {@code PRESENCE_SUBSCRIBE} and {@code PRESENCE_UNSUBSCRIBE} frames on the connection's event loop: each
 * spends a token of the connection's presence bucket ({@code --presence-rate} a second, twice that at once), so a
 * subscription flood is refused with {@code rate_limited} before it costs a membership read; the rest is
 * {@link Presence}'s, on its own thread.
 */
public final class PresenceRequests {
    /** The connection's presence bucket, created on its first presence frame; event loop only. */
    private static final AttributeKey<TokenBucket> BUCKET = AttributeKey.valueOf("inbox.presence.bucket");

    private final Presence presence;
    private final PresenceMeters meters;
    private final int perSecond;

    public PresenceRequests(Presence presence, PresenceMeters meters, int perSecond) {
        this.presence = presence;
        this.meters = meters;
        this.perSecond = perSecond;
    }

    /** One decoded presence frame of {@code session}; event loop only. */
    public void handle(InboxSession session, PresenceRequest request) {
        long now = System.nanoTime();
        TokenBucket bucket = session.channel().attr(BUCKET).get();
        if (bucket == null) {
            bucket = new TokenBucket(perSecond, 2 * perSecond, now);
            session.channel().attr(BUCKET).set(bucket);
        }
        if (!bucket.tryTake(now)) {
            if (request.subscribe()) {
                meters.refused(PresenceMeters.Refusal.RATE);
            }
            session.sendError(
                    ErrorCode.RATE_LIMITED,
                    "presence: at most " + perSecond + " PRESENCE_SUBSCRIBE/UNSUBSCRIBE frames a second; this one was"
                            + " refused",
                    0,
                    null);
            return;
        }
        if (request.subscribe()) {
            presence.subscribe(session, request.userIds());
        } else {
            presence.unsubscribe(session, request.userIds());
        }
    }

    /** The connection closed; any thread. */
    public void closed(InboxSession session) {
        presence.closed(session);
    }

    /** The user's connections on this node changed (one joined or left); any thread. */
    public void connectionsChanged(long userId) {
        presence.connectionsChanged(userId);
    }
}
