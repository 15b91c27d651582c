package dev.inbox.gateway.relay;

import dev.inbox.gateway.routing.Members;
import dev.inbox.gateway.routing.Membership;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Membership in Redis, shared by every node: the admin API on any node changes it for all. Each change is one
 * script, so it applies whole or not at all. Nodes keep no copy: every message's admission reads the member set
 * in Redis, so a change is honoured from the next message on, on every node (the bound is zero), and a member
 * removed before the admin call returned never receives a message admitted after it.
 */
final class RedisMembership implements Membership {
    /** Reply shape of every script here: state ("managed", "open" or "" when unknown), then the member ids. */
    private static final String READ = """
            local state = redis.call('GET', KEYS[1])
            if not state then return {''} end
            local out = redis.call('SMEMBERS', KEYS[2])
            table.insert(out, 1, state)
            return out
            """;

    private static final String REPLACE = """
            redis.call('DEL', KEYS[2])
            for i = 1, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
            redis.call('SET', KEYS[1], 'managed')
            local out = redis.call('SMEMBERS', KEYS[2])
            table.insert(out, 1, 'managed')
            return out
            """;
    private static final String ADD = """
            redis.call('SADD', KEYS[2], ARGV[1])
            redis.call('SET', KEYS[1], 'managed')
            local out = redis.call('SMEMBERS', KEYS[2])
            table.insert(out, 1, 'managed')
            return out
            """;
    private static final String REMOVE = """
            if not redis.call('GET', KEYS[1]) then return {''} end
            redis.call('SREM', KEYS[2], ARGV[1])
            redis.call('SET', KEYS[1], 'managed')
            local out = redis.call('SMEMBERS', KEYS[2])
            table.insert(out, 1, 'managed')
            return out
            """;

    private final RedisLink link;
    private final RedisKeys keys;
    private final RedisScript read = new RedisScript(READ);
    private final RedisScript replace = new RedisScript(REPLACE);
    private final RedisScript add = new RedisScript(ADD);
    private final RedisScript remove = new RedisScript(REMOVE);

    RedisMembership(RedisLink link, RedisKeys keys) {
        this.link = link;
        this.keys = keys;
        for (RedisScript s : List.of(read, replace, add, remove)) {
            link.preload(s);
        }
    }

    @Override
    public CompletionStage<Members> members(long conversationId) {
        return link.run(read, keys.conversation(conversationId)).thenApply(RedisMembership::members);
    }

    @Override
    public CompletionStage<Members> replace(long conversationId, long[] userIds) {
        byte[][] args = new byte[userIds.length][];
        for (int i = 0; i < userIds.length; i++) {
            args[i] = RedisAdmission.ascii(userIds[i]);
        }
        return link.run(replace, keys.conversation(conversationId), args).thenApply(RedisMembership::members);
    }

    @Override
    public CompletionStage<Members> add(long conversationId, long userId) {
        return link.run(add, keys.conversation(conversationId), RedisAdmission.ascii(userId))
                .thenApply(RedisMembership::members);
    }

    @Override
    public CompletionStage<Members> remove(long conversationId, long userId) {
        return link.run(remove, keys.conversation(conversationId), RedisAdmission.ascii(userId))
                .thenApply(RedisMembership::members);
    }

    private static Members members(List<Object> reply) {
        String state = new String((byte[]) reply.get(0), StandardCharsets.US_ASCII);
        if (state.isEmpty()) {
            return null;
        }
        long[] ids = new long[reply.size() - 1];
        for (int i = 1; i < reply.size(); i++) {
            ids[i - 1] = RedisAdmission.parse(reply.get(i));
        }
        return Members.of(ids, "managed".equals(state));
    }
}
