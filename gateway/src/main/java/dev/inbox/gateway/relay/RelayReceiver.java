package dev.inbox.gateway.relay;

import dev.inbox.gateway.logging.ThrottledLog;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.routing.ConversationRouter;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives envelopes on this node's channel ({@link NodeRegistry}), or on a cluster on the user channels it subscribes
 * to, and hands each frame, bytes untouched, to the router for its recipients' local connections. Envelopes from this
 * node itself are dropped: its own recipients got the message directly. Runs on Lettuce's I/O thread and only hands
 * work off.
 */
final class RelayReceiver extends RedisPubSubAdapter<byte[], byte[]> {
    private static final Logger log = LoggerFactory.getLogger(RelayReceiver.class);
    private static final ThrottledLog malformed = new ThrottledLog(log, "dropping a malformed relay message");

    private final long nodeId;
    private final GatewayMetrics metrics;
    private volatile ConversationRouter router;

    RelayReceiver(long nodeId, GatewayMetrics metrics) {
        this.nodeId = nodeId;
        this.metrics = metrics;
    }

    /** Set once the router exists (it needs the admission, which needs the link, which needs this). */
    void router(ConversationRouter router) {
        this.router = router;
    }

    /** Sharded pub/sub (Redis Cluster) delivers the same envelopes as {@code SMESSAGE}. */
    @Override
    public void smessage(byte[] channel, byte[] envelope) {
        message(channel, envelope);
    }

    @Override
    public void message(byte[] channel, byte[] envelope) {
        if (!RelayEnvelope.isValid(envelope)) {
            malformed.warn("envelope of " + envelope.length + " bytes", null);
            return;
        }
        long[] users;
        if (RelayEnvelope.addressed(envelope)) {
            users = RelayEnvelope.recipients(envelope);
        } else {
            long userId = RedisKeys.userOf(channel);
            users = userId <= 0 ? null : new long[] {userId};
        }
        if (users == null) {
            malformed.warn("no recipients in an envelope on a channel of " + channel.length + " bytes", null);
            return;
        }
        if (RelayEnvelope.origin(envelope) == nodeId) {
            return;
        }
        ConversationRouter r = router;
        metrics.relayReceived();
        byte kind = RelayEnvelope.kind(envelope);
        if (r != null && kind != RelayEnvelope.VERSION) {
            r.deliverEvent(
                    RelayEnvelope.conversationId(envelope),
                    users,
                    RelayEnvelope.frameOf(envelope),
                    kind == RelayEnvelope.TYPING);
        } else if (r != null) {
            // A view of Lettuce's array, not a copy; the transport copies it to the socket once per connection.
            r.deliverRelayed(
                    RelayEnvelope.conversationId(envelope),
                    users,
                    RelayEnvelope.frameOf(envelope),
                    RelayEnvelope.acceptedAtMillis(envelope));
        }
    }
}
