package dev.inbox.gateway.relay;

import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.receipts.ReadPositions;
import dev.inbox.protocol.Rfc3339;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Read positions in Redis, shared by every node: a hash {@code inbox:{TAG}:c:ID:reads} per conversation (user id to
 * {@code message_id}) beside the conversation's state, members and seq, so one script checks membership, compares
 * against the last id given ({@code seq}), moves the position forward only and, with the outbox on, appends the
 * {@code READ} entry, atomically (docs/operations.md, "The outbox"). Each user's {@code {inbox:u:USER}:reads} set
 * names the conversations they have read in (for {@code UNREAD}); it is written after the move, by a second command
 * (a cluster keeps it in another slot), so a failure between the two leaves a conversation out of UNREAD, never a
 * wrong position.
 */
final class RedisReadPositions implements ReadPositions {
    /**
     * KEYS: state, members, seq, outbox stream, reads hash. ARGV: 1 user id, 2 message_id, 3 outbox ('0' off, 'r'
     * refuse when full: the entry is left out, 't' trim when full), 4 its max length, 5 conversation_id, 6 read_at.
     * Reply: {'nm'}, {'beyond'}, {'behind'} or {'moved', member...}.
     */
    private static final String ADVANCE = """
            local state = redis.call('GET', KEYS[1])
            if not state or redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return {'nm'} end
            local position = tonumber(ARGV[2])
            if position > tonumber(redis.call('GET', KEYS[3]) or '0') then return {'beyond'} end
            if position <= tonumber(redis.call('HGET', KEYS[5], ARGV[1]) or '0') then return {'behind'} end
            redis.call('HSET', KEYS[5], ARGV[1], ARGV[2])
            if ARGV[3] ~= '0' then
              local full = redis.call('XLEN', KEYS[4]) >= tonumber(ARGV[4])
              if full and ARGV[3] == 't' then redis.call('XTRIM', KEYS[4], 'MAXLEN', tonumber(ARGV[4]) - 1) end
              if not full or ARGV[3] == 't' then
                redis.call('XADD', KEYS[4], '*', 'type', 'READ', 'conversation_id', ARGV[5], 'user_id', ARGV[1],
                  'message_id', ARGV[2], 'read_at', ARGV[6])
              end
            end
            local out = redis.call('SMEMBERS', KEYS[2])
            table.insert(out, 1, 'moved')
            return out
            """;

    /**
     * KEYS: state, members, seq, outbox stream, reads hash. ARGV: 1 the asking user id, 0 for the admin API. Reply:
     * {'nm'}, or {'ok', user, position, ...} for the members with a position.
     */
    private static final String POSITIONS = """
            local state = redis.call('GET', KEYS[1])
            if ARGV[1] ~= '0' and (not state or redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0) then return {'nm'} end
            local out = {'ok'}
            if not state then return out end
            local members = redis.call('SMEMBERS', KEYS[2])
            for i = 1, #members do
              local p = redis.call('HGET', KEYS[5], members[i])
              if p then
                table.insert(out, members[i])
                table.insert(out, p)
              end
            end
            return out
            """;

    private static final String INDEX = "redis.call('SADD', KEYS[1], ARGV[1]) return 1";

    /** KEYS: the user's set. ARGV: 1 the most returned. */
    private static final String CONVERSATIONS = "return redis.call('SRANDMEMBER', KEYS[1], tonumber(ARGV[1]))";

    private static final byte[] OUTBOX_OFF = {'0'};
    private static final byte[] OUTBOX_REFUSE = {'r'};
    private static final byte[] OUTBOX_TRIM = {'t'};

    private final RedisLink link;
    private final RedisKeys keys;
    private final byte[] outboxMode;
    private final byte[] outboxMaxLength;
    private final RedisScript advance = new RedisScript(ADVANCE);
    private final RedisScript positions = new RedisScript(POSITIONS);
    private final RedisScript index = new RedisScript(INDEX);
    private final RedisScript conversations = new RedisScript(CONVERSATIONS);

    RedisReadPositions(RedisLink link, RedisKeys keys, GatewayConfig.Outbox outbox) {
        this.link = link;
        this.keys = keys;
        this.outboxMode = !outbox.enabled() ? OUTBOX_OFF : outbox.trimWhenFull() ? OUTBOX_TRIM : OUTBOX_REFUSE;
        this.outboxMaxLength = RedisAdmission.ascii(outbox.maxLength());
        for (RedisScript s : List.of(advance, positions, index, conversations)) {
            link.preload(s);
        }
    }

    @Override
    public CompletionStage<Move> advance(long conversationId, long userId, long messageId, long readAtMillis) {
        return link.run(
                        advance,
                        keys.reads(conversationId),
                        RedisAdmission.ascii(userId),
                        RedisAdmission.ascii(messageId),
                        outboxMode,
                        outboxMaxLength,
                        RedisAdmission.ascii(conversationId),
                        Rfc3339.text(readAtMillis).getBytes(StandardCharsets.US_ASCII))
                .thenCompose(reply -> {
                    String outcome = new String((byte[]) reply.get(0), StandardCharsets.US_ASCII);
                    Move move = switch (outcome) {
                        case "moved" -> new Move(Outcome.MOVED, ids(reply, 1));
                        case "behind" -> new Move(Outcome.BEHIND, new long[0]);
                        case "beyond" -> new Move(Outcome.BEYOND, new long[0]);
                        default -> new Move(Outcome.NOT_A_MEMBER, new long[0]);
                    };
                    if (move.outcome() != Outcome.MOVED) {
                        return java.util.concurrent.CompletableFuture.completedFuture(move);
                    }
                    return link.run(
                                    index,
                                    new byte[][] {RedisKeys.userReads(userId)},
                                    RedisAdmission.ascii(conversationId))
                            .thenApply(r -> move);
                });
    }

    @Override
    public CompletionStage<Positions> positions(long conversationId, long askingUserId) {
        return link.run(positions, keys.reads(conversationId), RedisAdmission.ascii(askingUserId))
                .thenApply(reply -> {
                    if (reply.size() == 1
                            && "nm".equals(new String((byte[]) reply.get(0), StandardCharsets.US_ASCII))) {
                        return null;
                    }
                    int n = (reply.size() - 1) / 2;
                    long[][] pairs = new long[n][];
                    for (int i = 0; i < n; i++) {
                        pairs[i] = new long[] {
                            RedisAdmission.parse(reply.get(1 + 2 * i)), RedisAdmission.parse(reply.get(2 + 2 * i))
                        };
                    }
                    Arrays.sort(pairs, (a, b) -> Long.compare(a[0], b[0]));
                    long[] users = new long[n];
                    long[] ids = new long[n];
                    for (int i = 0; i < n; i++) {
                        users[i] = pairs[i][0];
                        ids[i] = pairs[i][1];
                    }
                    return new Positions(users, ids);
                });
    }

    @Override
    public CompletionStage<long[]> conversationsOf(long userId, int max) {
        return link.run(conversations, new byte[][] {RedisKeys.userReads(userId)}, RedisAdmission.ascii(max))
                .thenApply(reply -> ids(reply, 0));
    }

    private static long[] ids(List<Object> reply, int from) {
        long[] ids = new long[reply.size() - from];
        for (int i = from; i < reply.size(); i++) {
            ids[i - from] = RedisAdmission.parse(reply.get(i));
        }
        Arrays.sort(ids);
        return ids;
    }
}
