package dev.inbox.gateway.relay;

import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.routing.Admission;
import dev.inbox.gateway.routing.Admitted;
import dev.inbox.gateway.routing.ClockMessageIds;
import dev.inbox.gateway.routing.RoutingException;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.Ids;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Admission through Redis, in one script and one round trip: the sender must be in the conversation's member set
 * (dev mode: an unknown or open conversation is joined), the {@code message_id} becomes
 * {@code max(seq + 1, clock floor)} (the same scheme as a single node, so ids keep increasing across a switch), and
 * the encoded event, its id filled in, is published in an envelope to the channel of every member. The script's
 * atomicity and the hand-off as the reply is decoded are two links of the order argument (docs/clustering.md,
 * "Order").
 *
 * <p>Every failure to reach Redis (disconnected, queue full, timed out) becomes {@code relay_unavailable}: the
 * message was not delivered anywhere and the sender may retry.
 */
final class RedisAdmission implements Admission {
    static final String SCRIPT = """
            local time = redis.call('TIME')
            if tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) > tonumber(ARGV[7]) then
              return {'late'}
            end
            local state = redis.call('GET', KEYS[1])
            local dev = ARGV[3] == '1'
            if not state then
              if not dev then return {} end
              redis.call('SET', KEYS[1], 'open')
              state = 'open'
            end
            if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then
              if state ~= 'open' or not dev then return {} end
              redis.call('SADD', KEYS[2], ARGV[1])
            end
            local id = math.max(tonumber(redis.call('GET', KEYS[3]) or '0') + 1, tonumber(ARGV[2]))
            local digits = string.format('%.0f', id)
            redis.call('SET', KEYS[3], digits)
            local members = redis.call('SMEMBERS', KEYS[2])
            local at = tonumber(ARGV[5])
            local payload = string.sub(ARGV[4], 1, at - 1) .. digits .. string.sub(ARGV[4], at + 16)
            for i = 1, #members do
              redis.call('PUBLISH', ARGV[6] .. members[i], payload)
            end
            table.insert(members, 1, digits)
            return members
            """;
    /** The same admission without publishing, for a Redis Cluster: a script may only touch its own slot. */
    static final String CLUSTER_SCRIPT = SCRIPT.substring(0, SCRIPT.indexOf("local at = tonumber(ARGV[5])"))
            + "table.insert(members, 1, digits)\nreturn members\n";

    private static final byte[] DEV = {'1'};
    private static final byte[] LATE = {'l', 'a', 't', 'e'};
    private static final byte[] NOT_DEV = {'0'};
    private static final byte[] CHANNEL_PREFIX = RedisKeys.USER_CHANNEL_PREFIX.getBytes(StandardCharsets.US_ASCII);

    private final RedisLink link;
    private final RedisScript script;
    private final long nodeId;
    private final boolean dev;
    private final GatewayMetrics metrics;

    /**
     * The script refuses a message it runs this long after the node sent it ({@code late}): half the command timeout,
     * so that a message whose sender was told {@code relay_unavailable} (Redis stalled, then resumed and worked through
     * its input) is not published after all. The other half absorbs clock skew between node and Redis.
     */
    private final long lateAfterMillis;

    RedisAdmission(RedisLink link, long nodeId, boolean dev, GatewayMetrics metrics, Duration timeout) {
        this.lateAfterMillis = Math.max(1, timeout.toMillis() / 2);
        this.metrics = metrics;
        this.link = link;
        this.nodeId = nodeId;
        this.dev = dev;
        this.script = new RedisScript(link.scriptPublishes() ? SCRIPT : CLUSTER_SCRIPT);
        link.preload(script);
    }

    @Override
    public void admit(
            long conversationId,
            long senderId,
            ServerFrameEncoder.PreparedFrame event,
            BiConsumer<Admitted, Throwable> outcome) {
        ByteBuf frame = event.frame();
        long now = System.currentTimeMillis();
        byte[] payload = RelayEnvelope.encode(nodeId, conversationId, now, frame);
        // Lua strings are 1-based: the first id digit's position in the envelope.
        int idAt = RelayEnvelope.HEADER_BYTES + (event.messageIdAt() - frame.readerIndex()) + 1;
        byte[][] keys = RedisKeys.conversation(conversationId);
        byte[][] args = {
            ascii(senderId),
            ascii(ClockMessageIds.floor(now)),
            dev ? DEV : NOT_DEV,
            payload,
            ascii(idAt),
            CHANNEL_PREFIX,
            ascii(now + lateAfterMillis)
        };
        long started = System.nanoTime();
        // The outcome rides with the command: read and handed over on Lettuce's thread as the reply is decoded, in
        // the order of the publications decoded around it (see Admission#admit).
        link.run(script, keys, args, (reply, failure) -> {
            metrics.relayPublished(System.nanoTime() - started);
            Admitted admitted = null;
            Throwable why = failure == null ? null : unavailable(RedisLink.describe(failure));
            if (why == null) {
                try {
                    admitted = admitted(reply, payload, idAt);
                } catch (RoutingException | RuntimeException e) {
                    why = e; // the outcome comes once whatever the reply held: the sender is waiting for it
                }
            }
            outcome.accept(admitted, why);
        });
    }

    private static RoutingException unavailable(String why) {
        return new RoutingException(
                ErrorCode.RELAY_UNAVAILABLE, "relay unavailable (" + why + "); not delivered, retry later");
    }

    /**
     * The script's reply read: the admitted message, or {@code null} when the sender is not a member. On a cluster,
     * publishes it to each member's shard too.
     */
    private Admitted admitted(List<Object> reply, byte[] payload, int idAt) throws RoutingException {
        if (reply.isEmpty()) {
            return null; // not a member
        }
        if (reply.size() == 1 && Arrays.equals(LATE, (byte[]) reply.get(0))) {
            throw unavailable("redis ran the message too late");
        }
        long messageId = parse(reply.get(0));
        if (!Ids.isValidMessageId(messageId)) {
            throw new IllegalStateException("message_id out of range: " + messageId);
        }
        long[] members = new long[reply.size() - 1];
        for (int i = 1; i < reply.size(); i++) {
            members[i - 1] = parse(reply.get(i));
        }
        if (!link.scriptPublishes()) {
            // Cluster: fill in the id and publish to each member's shard, in the reply's thread.
            byte[] digits = (byte[]) reply.get(0);
            System.arraycopy(digits, 0, payload, idAt - 1, Ids.MESSAGE_ID_DIGITS);
            for (long member : members) {
                link.publish(RedisKeys.userChannel(member), payload);
            }
        }
        return new Admitted(messageId, members);
    }

    static byte[] ascii(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A non-negative decimal from a bulk reply, read from its bytes: one per member per message, so no String each.
     *
     * @throws NumberFormatException when the bytes are not one (Redis would have to be answering another script)
     */
    static long parse(Object bulk) {
        byte[] digits = (byte[]) bulk;
        if (digits.length == 0 || digits.length > 18) {
            throw new NumberFormatException("not an id: " + new String(digits, StandardCharsets.US_ASCII));
        }
        long n = 0;
        for (byte d : digits) {
            if (d < '0' || d > '9') {
                throw new NumberFormatException("not an id: " + new String(digits, StandardCharsets.US_ASCII));
            }
            n = n * 10 + (d - '0');
        }
        return n;
    }
}
