package dev.inbox.gateway.relay;

import dev.inbox.gateway.routing.UserFeed;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/**
 * The {@link UserFeed} in Redis: per user a stream {@code {inbox:u:USER}:feed} of entries {@code c}
 * (conversation_id) and {@code m} (message_id), which the admission script appends to in the loop that publishes to
 * the user's channel (so feed order is channel order), and a key {@code {inbox:u:USER}:epoch} holding a random
 * token. Both share the user channel's hash tag. On a Redis Cluster the node appends each member's entry as it
 * publishes to that member ({@link #APPEND_AND_PUBLISH}), on the member's shard.
 *
 * <p>An epoch promises that its feed has existed without a break since the epoch was made, so that counting entries
 * added tells what was trimmed. Only a read makes an epoch, and only with the feed there (made empty if it was not);
 * whoever finds the feed gone (an append or a read: it expired, was evicted, or Redis lost its data) deletes the
 * epoch with it. Expiry: a read sets both to {@code --feed-max-age}, {@link FeedKeeper} renews them while the user
 * is connected and once more as their last connection here closes, and an append that has to make the feed gives it
 * the age; appends do not renew it, which keeps the per-member work of an admission to one {@code XADD}.
 */
final class RedisUserFeed implements UserFeed {
    /**
     * KEYS: feed, epoch. ARGV: 1 an epoch to set if there is none, 2 age in ms, 3 the id to read after ('' for
     * none), 4 most entries. Reply: {epoch, last id, entries added, length, id, c, m, id, c, m, ...}.
     */
    static final String READ = """
            if redis.call('EXISTS', KEYS[1]) == 0 then
              redis.call('DEL', KEYS[2])
              redis.call('XADD', KEYS[1], 'MAXLEN', '0', '*', 'c', '0', 'm', '0') -- an empty feed that starts now
            end
            redis.call('SET', KEYS[2], ARGV[1], 'NX')
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            redis.call('PEXPIRE', KEYS[2], ARGV[2])
            local out = {redis.call('GET', KEYS[2]), '0-0', '0', '0'}
            local info = redis.call('XINFO', 'STREAM', KEYS[1])
            for i = 1, #info, 2 do
              if info[i] == 'last-generated-id' then out[2] = info[i + 1]
              elseif info[i] == 'entries-added' then out[3] = tostring(info[i + 1])
              elseif info[i] == 'length' then out[4] = tostring(info[i + 1]) end
            end
            if ARGV[3] ~= '' then
              for _, e in ipairs(redis.call('XRANGE', KEYS[1], '(' .. ARGV[3], '+', 'COUNT', ARGV[4])) do
                table.insert(out, e[1])
                table.insert(out, e[2][2])
                table.insert(out, e[2][4])
              end
            end
            return out
            """;

    /**
     * On a Redis Cluster, where the admission script cannot reach the members' shards: run per member on the member's
     * shard, so the entry and the publication are still one atomic step, in the user's channel order. KEYS: feed,
     * epoch. ARGV: 1 the user's channel, 2 the envelope, 3 max length, 4 age in ms, 5 conversation_id, 6 message_id.
     */
    static final String APPEND_AND_PUBLISH = """
            if not redis.call('XADD', KEYS[1], 'NOMKSTREAM', 'MAXLEN', '~', ARGV[3], '*', 'c', ARGV[5], 'm', ARGV[6]) then
              redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'c', ARGV[5], 'm', ARGV[6])
              redis.call('PEXPIRE', KEYS[1], ARGV[4])
              redis.call('DEL', KEYS[2])
            end
            return redis.call('SPUBLISH', ARGV[1], ARGV[2])
            """;

    private final RedisLink link;
    private final UserChannels channels;
    private final RedisScript read = new RedisScript(READ);
    private final byte[] ageMillis;

    RedisUserFeed(RedisLink link, UserChannels channels, Duration maxAge) {
        this.link = link;
        this.channels = channels;
        this.ageMillis = RedisAdmission.ascii(maxAge.toMillis());
        link.preload(read);
    }

    static byte[] key(long userId, String what) {
        return ("{" + RedisKeys.USER_CHANNEL_PREFIX + userId + "}:" + what).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public CompletionStage<Void> live(long userId) {
        return channels.subscribed(userId);
    }

    @Override
    public CompletionStage<Read> read(long userId, Id after, int max) {
        byte[] epoch = UUID.randomUUID().toString().substring(0, 12).getBytes(StandardCharsets.US_ASCII);
        byte[] from = after == null ? new byte[0] : after.toString().getBytes(StandardCharsets.US_ASCII);
        return link.run(
                        read,
                        new byte[][] {key(userId, "feed"), key(userId, "epoch")},
                        epoch,
                        ageMillis,
                        from,
                        RedisAdmission.ascii(max))
                .thenApply(RedisUserFeed::parse);
    }

    private static Read parse(List<Object> reply) {
        List<Entry> entries = new ArrayList<>();
        for (int i = 4; i + 2 < reply.size(); i += 3) {
            entries.add(new Entry(
                    Id.parse(text(reply.get(i))),
                    Long.parseLong(text(reply.get(i + 1))),
                    Long.parseLong(text(reply.get(i + 2)))));
        }
        return new Read(
                text(reply.get(0)),
                Id.parse(text(reply.get(1))),
                Long.parseLong(text(reply.get(2))),
                Long.parseLong(text(reply.get(3))),
                entries);
    }

    private static String text(Object bulk) {
        return new String((byte[]) bulk, StandardCharsets.US_ASCII);
    }
}
