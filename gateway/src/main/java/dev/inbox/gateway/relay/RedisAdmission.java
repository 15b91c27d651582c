package dev.inbox.gateway.relay;

import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.logging.ThrottledLog;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.metrics.Limit;
import dev.inbox.gateway.metrics.OutboxMeters;
import dev.inbox.gateway.routing.Admission;
import dev.inbox.gateway.routing.Admitted;
import dev.inbox.gateway.routing.ClockMessageIds;
import dev.inbox.gateway.routing.RoutingException;
import dev.inbox.gateway.routing.Submitted;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.Ids;
import dev.inbox.protocol.Rfc3339;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admission through Redis, in one script and one round trip: the sender must be in the conversation's member set (dev
 * mode: an unknown or open conversation is joined), the {@code message_id} becomes {@code max(seq + 1, clock floor)}
 * (the same scheme as a single node, so ids keep increasing across a switch), the message is appended to its
 * partition's outbox stream, and the encoded event, its id filled in, is published in an envelope to every other node
 * with members connected ({@link NodeRegistry}; on a cluster, to each member's channel). The script's atomicity and the
 * hand-off as the reply is decoded are two links of the order argument (docs/clustering.md, "Order"); the outbox entry
 * being written by the same script is why a message is in the outbox exactly when it was admitted (docs/clustering.md,
 * "The outbox").
 *
 * <p>The sender's answer is the script's whenever the script may have run (issue 13: never "refused" for a message
 * in the outbox): an admission written to Redis waits for its reply, with no client-side timer
 * ({@link RedisScript#awaitingReply}); the script's own {@code late} check bounds when it may still take effect, and
 * refuses past it. So {@code relay_unavailable} means the script did not run: never sent (no connection), or refused
 * by Redis with an error; {@code overloaded} that it did not run because Redis is not keeping up: never sent
 * ({@link AdmissionPressure}: the node sheds at once rather than queue), or answered {@code late}. When the connection is lost with the script sent and no reply (a
 * crash, a reset, or the watchdog closing a connection that stopped answering), nobody can know: the sender gets
 * {@code outcome_unknown}, counted in {@code inbox_relay_outcome_unknown_total}. (On a Redis Cluster admissions
 * keep the command timeout, and one that fires after the script was sent is also {@code outcome_unknown}.)
 *
 * <p>A full outbox with {@code --outbox-when-full refuse}
 * becomes {@code outbox_full}, checked before an id is given: nothing is delivered and no id is used up.
 */
final class RedisAdmission implements Admission {
    /** The end both scripts share: the reply. */
    private static final String REPLY = """
            table.insert(members, 1, tostring(dropped))
            table.insert(members, 1, digits)
            return members
            """;

    /**
     * KEYS: state, members, seq, outbox stream, history stream. ARGV: 1 sender id, 2 clock floor, 3 dev ('1'/'0'),
     * 4 envelope, 5 the id's position in it, 6 user channel prefix, 7 the moment after which it is too late, 8 outbox
     * ('0' off, 'r' refuse when full, 't' trim when full); with the outbox on, 9 its max length and 10-17 the entry's
     * fields (conversation_id, type, message, sender_name, sender_avatar, created_at, client_msg_id, source); then
     * the user feed's three (max length, age in ms, conversation_id) and the history's four: max length ('0' off), the
     * lowest id it keeps, its time to live in ms, and where the event's JSON starts in the envelope. With a sixth key,
     * the resend key of the sender's client_msg_id: two more ARGV, last, are created_at in milliseconds and the window
     * (PX).
     * Reply: {'late'}, {'full'}, {} (not a member), {'resend', 'id:created_at'}, or {id, entries trimmed to make
     * room, member...}.
     *
     * <p>The history entry's id is {@code <message_id>-0}, so stream order is id order; its fields are {@code e}, the
     * event's JSON, and {@code p}, the conversation's previous id (0: none). Trimming only ever takes the oldest
     * entries, so the first entry's {@code p} is exactly the last event gone: what makes {@code trimmed} exact
     * ({@code RedisConversationHistory}), also for a stream created anew after it expired or was lost. An append Redis
     * refuses (an id not above the stream's last: someone rewrote the seq key) deletes the stream, which then reads as
     * trimmed up to the seq, for the same reason.
     */
    private static final String ADMIT = """
            local time = redis.call('TIME')
            if tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) > tonumber(ARGV[7]) then
              return {'late'}
            end
            local state = redis.call('GET', KEYS[1])
            local dev = ARGV[3] == '1'
            if not state and not dev then return {} end
            local member = state and redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1
            if not member and (not dev or (state and state ~= 'open')) then return {} end
            local resend = KEYS[6] and redis.call('GET', KEYS[6])
            if resend then return {'resend', resend} end
            local outbox = ARGV[8]
            local dropped = 0
            if outbox ~= '0' and redis.call('XLEN', KEYS[4]) >= tonumber(ARGV[9]) then
              if outbox == 'r' then return {'full'} end
              dropped = redis.call('XTRIM', KEYS[4], 'MAXLEN', tonumber(ARGV[9]) - 1)
            end
            if not state then redis.call('SET', KEYS[1], 'open') end
            if not member then redis.call('SADD', KEYS[2], ARGV[1]) end
            local prev = tonumber(redis.call('GET', KEYS[3]) or '0')
            local id = math.max(prev + 1, tonumber(ARGV[2]))
            local digits = string.format('%.0f', id)
            redis.call('SET', KEYS[3], digits)
            if KEYS[6] then redis.call('SET', KEYS[6], digits .. ':' .. ARGV[#ARGV - 1], 'PX', ARGV[#ARGV]) end
            if outbox ~= '0' then
              redis.call('XADD', KEYS[4], '*', 'message_id', digits, 'conversation_id', ARGV[10], 'type', ARGV[11],
                'message', ARGV[12], 'sender_id', ARGV[1], 'sender_name', ARGV[13], 'sender_avatar', ARGV[14],
                'created_at', ARGV[15], 'client_msg_id', ARGV[16], 'source', ARGV[17])
            end
            local h = #ARGV - 3 - (KEYS[6] and 2 or 0)
            if ARGV[h] ~= '0' then
              local json = string.sub(ARGV[4], tonumber(ARGV[h + 3]), tonumber(ARGV[5]) - 1) .. digits
                .. string.sub(ARGV[4], tonumber(ARGV[5]) + 16)
              local added = redis.pcall('XADD', KEYS[5], 'MAXLEN', '~', ARGV[h], digits .. '-0', 'e', json,
                'p', string.format('%.0f', prev))
              if type(added) == 'table' and added.err then
                redis.call('DEL', KEYS[5])
              else
                redis.call('XTRIM', KEYS[5], 'MINID', '~', ARGV[h + 1])
                redis.call('PEXPIRE', KEYS[5], ARGV[h + 2])
              end
            end
            local members = redis.call('SMEMBERS', KEYS[2])
            local at = tonumber(ARGV[5])
            local payload = string.sub(ARGV[4], 1, at - 1) .. digits .. string.sub(ARGV[4], at + 16)
            for i = 1, #members do
              local f = h - 3 -- the user's resume feed, in the order of their channel (docs/protocol.md)
              if ARGV[f] ~= '0' then
                local u = '{' .. ARGV[6] .. members[i] .. '}:'
                if not redis.call('XADD', u .. 'feed', 'NOMKSTREAM', 'MAXLEN', '~', ARGV[f], '*', 'c', ARGV[f + 2],
                    'm', digits) then
                  -- No feed: a new one, and no epoch, which named the history of the one gone (RedisUserFeed).
                  redis.call('XADD', u .. 'feed', 'MAXLEN', '~', ARGV[f], '*', 'c', ARGV[f + 2], 'm', digits)
                  redis.call('PEXPIRE', u .. 'feed', ARGV[f + 1])
                  redis.call('DEL', u .. 'epoch')
                end
              end
            end
            publish_to_nodes(members, payload)
            """ + REPLY;

    /** The admission on a standalone Redis: it publishes the event to the members' nodes ({@link NodeRegistry}). */
    static final String SCRIPT = NodeRegistry.PUBLISH_TO_NODES + ADMIT;

    /** The same admission without publishing, for a Redis Cluster: a script may only touch its own slot. */
    static final String CLUSTER_SCRIPT = ADMIT.substring(0, ADMIT.indexOf("local at = tonumber(ARGV[5])")) + REPLY;

    private static final byte[] DEV = {'1'};
    private static final byte[] LATE = {'l', 'a', 't', 'e'};
    private static final byte[] FULL = {'f', 'u', 'l', 'l'};
    private static final byte[] RESEND = "resend".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NOT_DEV = {'0'};
    private static final byte[] OUTBOX_OFF = {'0'};
    private static final byte[] OUTBOX_REFUSE = {'r'};
    private static final byte[] OUTBOX_TRIM = {'t'};
    private static final byte[] FROM_CLIENT = "client".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FROM_ADMIN = "admin".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NONE = {};
    private static final byte[] CHANNEL_PREFIX = RedisKeys.USER_CHANNEL_PREFIX.getBytes(StandardCharsets.US_ASCII);

    private static final Logger log = LoggerFactory.getLogger(RedisAdmission.class);

    private final RedisLink link;
    private final RedisKeys keys;
    private final RedisScript script;
    /**
     * On a cluster with the resume feed on: each member's feed entry and publication, on the member's shard;
     * {@code null} otherwise (the admission script writes the feed, or there is none, and the node publishes alone).
     */
    private final RedisScript appendAndPublish;
    /** A member's entry and publication that failed: that member misses the event live and in its feed. */
    private final ThrottledLog appendAndPublishFailed =
            new ThrottledLog(log, "redis cluster: publishing an event to a member's shard failed");

    private final BiConsumer<List<Object>, Throwable> appendedAndPublished = (reply, failure) -> {
        if (failure != null) {
            appendAndPublishFailed.warn(RedisLink.describe(failure), null);
        }
    };
    /** Shedding said once per interval with a count: the operator's cue to look at Redis or add capacity. */
    private final ThrottledLog shedFull =
            new ThrottledLog(log, "shedding messages (overloaded): the most admissions allowed are waiting on redis");

    private final ThrottledLog shedSlow =
            new ThrottledLog(log, "shedding messages (overloaded): redis answers this node too slowly, or not at all");

    private final long nodeId;
    private final boolean dev;
    private final GatewayMetrics metrics;
    /** {@link #OUTBOX_OFF}, {@link #OUTBOX_REFUSE} or {@link #OUTBOX_TRIM}. */
    private final byte[] outboxMode;

    private final byte[] outboxMaxLength;
    /** The outbox's counters, or {@code null} when the outbox is off. */
    private final OutboxMeters outboxMeters;
    /** The resume feed's bounds as script arguments (see {@link RedisUserFeed}). */
    private final byte[] feedMaxLength;

    private final byte[] feedMaxAgeMillis;

    /** The history stream's approximate max length; {@code '0'}: no history. */
    private final byte[] historyMaxLength;

    private final long historyMaxAgeMillis;
    private final byte[] historyTtl;

    /**
     * The script refuses a message it runs this long after the node sent it ({@code late}): half the command timeout,
     * so that a message whose sender was told {@code relay_unavailable} (Redis stalled, then resumed and worked through
     * its input) is not published after all. The other half absorbs clock skew between node and Redis.
     */
    private final long lateAfterMillis;

    /** Whether the node is near shedding messages, so typing, worth less, is shed now. Any thread. */
    boolean crowded() {
        return pressure.crowded();
    }

    /** What decides whether one more admission is sent or shed ({@code overloaded}). */
    private final AdmissionPressure pressure;

    /** How long a {@code client_msg_id} is remembered, in milliseconds, as the script's PX; {@code null}: never. */
    private final byte[] dedupWindowMillis;

    /** @param outboxMeters the outbox's counters; {@code null} when {@code outbox} is off */
    RedisAdmission(
            RedisLink link,
            RedisKeys keys,
            GatewayConfig.Outbox outbox,
            GatewayConfig.Resume resume,
            OutboxMeters outboxMeters,
            GatewayConfig.History history,
            long nodeId,
            boolean dev,
            GatewayMetrics metrics,
            Duration timeout,
            int maxWaiting,
            Duration maxRoundTrip,
            Duration dedupWindow) {
        this.pressure = new AdmissionPressure(maxWaiting, maxRoundTrip.toNanos());
        metrics.relayWaiting(pressure::waiting);
        this.dedupWindowMillis = dedupWindow.isZero() ? null : ascii(dedupWindow.toMillis());
        this.lateAfterMillis = Math.max(1, timeout.toMillis() / 2);
        this.metrics = metrics;
        this.link = link;
        this.keys = keys;
        this.outboxMode = !outbox.enabled() ? OUTBOX_OFF : outbox.trimWhenFull() ? OUTBOX_TRIM : OUTBOX_REFUSE;
        this.outboxMaxLength = ascii(outbox.maxLength());
        this.outboxMeters = outboxMeters;
        this.feedMaxLength = ascii(resume.feedMaxLength());
        this.feedMaxAgeMillis = ascii(resume.feedMaxAge().toMillis());
        this.historyMaxLength = history.enabled() ? ascii(history.maxEvents()) : OUTBOX_OFF;
        this.historyMaxAgeMillis = history.maxAge().toMillis();
        this.historyTtl = ascii(historyMaxAgeMillis);
        this.nodeId = nodeId;
        this.dev = dev;
        this.script = RedisScript.awaitingReply(link.scriptPublishes() ? SCRIPT : CLUSTER_SCRIPT);
        link.preload(script);
        this.appendAndPublish = !link.scriptPublishes() && resume.feedMaxLength() > 0
                ? new RedisScript(RedisUserFeed.APPEND_AND_PUBLISH)
                : null;
        if (appendAndPublish != null) {
            link.preload(appendAndPublish);
        }
    }

    @Override
    public void admit(
            Submitted message, ServerFrameEncoder.PreparedFrame event, BiConsumer<Admitted, Throwable> outcome) {
        AdmissionPressure.Refusal refusal = pressure.tryTake();
        if (refusal != null) {
            outcome.accept(null, overloaded(refusal));
            return;
        }
        try {
            send(message, event, outcome);
        } catch (RuntimeException e) {
            pressure.cancelled(); // nothing was sent, and the outcome will not come
            throw e;
        }
    }

    private RoutingException overloaded(AdmissionPressure.Refusal refusal) {
        if (refusal == AdmissionPressure.Refusal.FULL) {
            metrics.limitHit(Limit.RELAY_WAITING);
            shedFull.warn(pressure.maxWaiting() + " waiting", null);
            return new RoutingException(
                    ErrorCode.OVERLOADED,
                    "this node already has " + pressure.maxWaiting()
                            + " messages waiting on redis; not delivered, retry later");
        }
        metrics.limitHit(Limit.RELAY_LATENCY);
        shedSlow.warn(
                pressure.waiting() + " waiting, bound " + TimeUnit.NANOSECONDS.toMillis(pressure.boundNanos()) + " ms",
                null);
        return new RoutingException(
                ErrorCode.OVERLOADED,
                "redis answers this node slower than " + TimeUnit.NANOSECONDS.toMillis(pressure.boundNanos())
                        + " ms; not delivered, retry later");
    }

    private void send(
            Submitted message, ServerFrameEncoder.PreparedFrame event, BiConsumer<Admitted, Throwable> outcome) {
        long conversationId = message.conversationId();
        ByteBuf frame = event.frame();
        long now = System.currentTimeMillis();
        byte[] payload = RelayEnvelope.encode(nodeId, conversationId, now, frame);
        // Lua strings are 1-based: the first id digit's position in the envelope.
        int idAt = RelayEnvelope.HEADER_BYTES + (event.messageIdAt() - frame.readerIndex()) + 1;
        byte[][] conversationKeys = keys.conversation(conversationId);
        byte[] sender = ascii(message.senderId());
        byte[] floor = ascii(ClockMessageIds.floor(now));
        byte[] isDev = dev ? DEV : NOT_DEV;
        byte[] at = ascii(idAt);
        byte[] lateAt = ascii(now + lateAfterMillis);
        byte[] historyMinId = ascii(ClockMessageIds.floor(now - historyMaxAgeMillis));
        byte[] jsonAt = ascii(RelayEnvelope.HEADER_BYTES
                + (frame.readableBytes() - ServerFrameEncoder.payloadOf(frame).readableBytes())
                + 1);
        // Per message, never per recipient: the outbox entry's fields ride in the same script call.
        byte[] conversationDigits = ascii(conversationId);
        byte[][] args = outboxMode == OUTBOX_OFF
                ? new byte[][] {
                    sender,
                    floor,
                    isDev,
                    payload,
                    at,
                    CHANNEL_PREFIX,
                    lateAt,
                    OUTBOX_OFF,
                    feedMaxLength,
                    feedMaxAgeMillis,
                    conversationDigits,
                    historyMaxLength,
                    historyMinId,
                    historyTtl,
                    jsonAt
                }
                : new byte[][] {
                    sender,
                    floor,
                    isDev,
                    payload,
                    at,
                    CHANNEL_PREFIX,
                    lateAt,
                    outboxMode,
                    outboxMaxLength,
                    ascii(conversationId),
                    utf8(message.type()),
                    utf8(message.message()),
                    utf8(message.senderName()),
                    utf8(message.senderAvatar()),
                    Rfc3339.text(message.createdAtMillis()).getBytes(StandardCharsets.US_ASCII),
                    utf8(message.clientMsgId()),
                    message.fromAdmin() ? FROM_ADMIN : FROM_CLIENT,
                    feedMaxLength,
                    feedMaxAgeMillis,
                    conversationDigits,
                    historyMaxLength,
                    historyMinId,
                    historyTtl,
                    jsonAt
                };
        if (dedupWindowMillis != null && message.clientMsgId() != null) {
            // Checked and set in the same script as the id: a resend racing its original on another node is either
            // the original's resend or, if the key expired, a new message; never both delivered with one id.
            conversationKeys = Arrays.copyOf(conversationKeys, conversationKeys.length + 1);
            conversationKeys[conversationKeys.length - 1] =
                    keys.dedup(conversationId, message.senderId(), message.clientMsgId());
            args = Arrays.copyOf(args, args.length + 2);
            args[args.length - 2] = ascii(message.createdAtMillis());
            args[args.length - 1] = dedupWindowMillis;
        }
        long started = System.nanoTime();
        // The outcome rides with the command: read and handed over on Lettuce's thread as the reply is decoded, in
        // the order of the publications decoded around it (see Admission#admit).
        link.run(script, conversationKeys, args, (reply, failure) -> {
            long roundTrip = System.nanoTime() - started;
            pressure.answered(roundTrip);
            metrics.relayPublished(roundTrip);
            Admitted admitted = null;
            Throwable why = failure == null ? null : failed(failure);
            if (why == null) {
                try {
                    admitted = admitted(reply, payload, idAt, conversationDigits);
                } catch (RoutingException | RuntimeException e) {
                    why = e; // the outcome comes once whatever the reply held: the sender is waiting for it
                }
            }
            outcome.accept(admitted, why);
        });
    }

    /** What a failure without a reply tells the sender: whether the script may have run decides. */
    private RoutingException failed(Throwable failure) {
        if (failure instanceof RedisScript.MayHaveRunException) {
            metrics.relayOutcomeUnknown();
            return new RoutingException(
                    ErrorCode.OUTCOME_UNKNOWN,
                    "the connection to redis was lost with the message on it: it may have been delivered; resend it "
                            + "with the same client_msg_id");
        }
        return unavailable(RedisLink.describe(failure));
    }

    private static RoutingException unavailable(String why) {
        return new RoutingException(
                ErrorCode.RELAY_UNAVAILABLE, "relay unavailable (" + why + "); not delivered, retry later");
    }

    /**
     * The script's reply read: the admitted message, or {@code null} when the sender is not a member. On a cluster,
     * publishes it to each member's shard too, with the member's feed entry when the feed is on.
     */
    private Admitted admitted(List<Object> reply, byte[] payload, int idAt, byte[] conversationDigits)
            throws RoutingException {
        if (reply.isEmpty()) {
            return null; // not a member
        }
        if (reply.size() == 1 && Arrays.equals(LATE, (byte[]) reply.get(0))) {
            // Redis was up but so far behind that the script came after its deadline: an overload, not an outage.
            throw new RoutingException(
                    ErrorCode.OVERLOADED, "redis reached the message too late; not delivered, retry later");
        }
        if (reply.size() == 1 && Arrays.equals(FULL, (byte[]) reply.get(0))) {
            outboxMeters.refused();
            throw new RoutingException(
                    ErrorCode.OUTBOX_FULL,
                    "the backend has fallen behind reading messages; nothing was delivered; retry later");
        }
        if (reply.size() == 2 && Arrays.equals(RESEND, (byte[]) reply.get(0))) {
            return resend((byte[]) reply.get(1));
        }
        long messageId = parse(reply.get(0));
        if (!Ids.isValidMessageId(messageId)) {
            throw new IllegalStateException("message_id out of range: " + messageId);
        }
        long dropped = parse(reply.get(1));
        if (dropped > 0) {
            outboxMeters.droppedFull(dropped);
        }
        long[] members = new long[reply.size() - 2];
        for (int i = 2; i < reply.size(); i++) {
            members[i - 2] = parse(reply.get(i));
        }
        if (!link.scriptPublishes()) {
            // Cluster: fill in the id and publish to each member's shard, in the reply's thread.
            byte[] digits = (byte[]) reply.get(0);
            System.arraycopy(digits, 0, payload, idAt - 1, Ids.MESSAGE_ID_DIGITS);
            for (long member : members) {
                if (appendAndPublish == null) {
                    link.publish(RedisKeys.userChannel(member), payload);
                } else {
                    link.run(
                            appendAndPublish,
                            new byte[][] {RedisUserFeed.key(member, "feed"), RedisUserFeed.key(member, "epoch")},
                            new byte[][] {
                                RedisKeys.userChannel(member),
                                payload,
                                feedMaxLength,
                                feedMaxAgeMillis,
                                conversationDigits,
                                digits
                            },
                            appendedAndPublished);
                }
            }
        }
        return new Admitted(messageId, members);
    }

    /** The original of a resend, from its key's {@code message_id:created_at_millis}. */
    private static Admitted resend(byte[] value) {
        int colon = 0;
        while (colon < value.length && value[colon] != ':') {
            colon++;
        }
        long messageId = parse(Arrays.copyOfRange(value, 0, colon));
        long createdAtMillis = parse(Arrays.copyOfRange(value, Math.min(colon + 1, value.length), value.length));
        if (!Ids.isValidMessageId(messageId)) {
            throw new IllegalStateException("message_id out of range: " + messageId);
        }
        return Admitted.resend(messageId, createdAtMillis);
    }

    /** {@code s} in UTF-8; empty for {@code null}, as the outbox contract writes a field that has no value. */
    private static byte[] utf8(String s) {
        return s == null ? NONE : s.getBytes(StandardCharsets.UTF_8);
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
