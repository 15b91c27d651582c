package dev.inbox.gateway.relay;

import dev.inbox.gateway.routing.Members;
import dev.inbox.gateway.routing.Membership;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
            local old = redis.call('SMEMBERS', KEYS[2])
            redis.call('DEL', KEYS[2])
            for i = 1, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
            redis.call('SET', KEYS[1], 'managed')
            local out = redis.call('SMEMBERS', KEYS[2])
            table.insert(out, 1, 'managed')
            table.insert(out, '-')
            for i = 1, #old do
              if redis.call('SISMEMBER', KEYS[2], old[i]) == 0 then table.insert(out, old[i]) end
            end
            return out
            """;
    /** After the members and this mark, the replace script lists the users it removed (for the per-user index). */
    private static final byte[] REMOVED_MARK = {'-'};

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
        return link.run(replace, keys.conversation(conversationId), args).thenCompose(reply -> {
            Members members = members(reply);
            List<CompletionStage<?>> updates = new ArrayList<>();
            for (long u : members.userIds()) {
                updates.add(index(true, u, conversationId));
            }
            for (int i = markAt(reply) + 1; i > 0 && i < reply.size(); i++) {
                updates.add(index(false, RedisAdmission.parse(reply.get(i)), conversationId));
            }
            return after(updates, members);
        });
    }

    @Override
    public CompletionStage<Members> add(long conversationId, long userId) {
        return link.run(add, keys.conversation(conversationId), RedisAdmission.ascii(userId))
                .thenApply(RedisMembership::members)
                .thenCompose(m -> after(List.of(index(true, userId, conversationId)), m));
    }

    @Override
    public CompletionStage<Members> remove(long conversationId, long userId) {
        return link.run(remove, keys.conversation(conversationId), RedisAdmission.ascii(userId))
                .thenApply(RedisMembership::members)
                .thenCompose(m -> m == null
                        ? CompletableFuture.completedFuture(null)
                        : after(List.of(index(false, userId, conversationId)), m));
    }

    /**
     * Shares a conversation iff the two users' index sets intersect: the subscriber's set is read once, then one
     * {@code SMISMEMBER} per user named, pipelined (single-key commands, so they work on a cluster too).
     */
    @Override
    public CompletionStage<long[]> strangers(long userId, long[] others) {
        RedisClusterAsyncCommands<byte[], byte[]> redis = link.commands();
        if (redis == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("redis not connected"));
        }
        return redis.smembers(userConversations(userId)).thenCompose(mine -> {
            byte[][] convs = mine.toArray(new byte[0][]);
            List<CompletableFuture<Boolean>> checks = new ArrayList<>();
            for (long other : others) {
                if (other == userId) {
                    checks.add(CompletableFuture.completedFuture(true));
                } else if (convs.length == 0) {
                    checks.add(CompletableFuture.completedFuture(false));
                } else {
                    checks.add(redis.smismember(userConversations(other), convs)
                            .thenApply(found -> found.contains(Boolean.TRUE))
                            .toCompletableFuture());
                }
            }
            return CompletableFuture.allOf(checks.toArray(new CompletableFuture<?>[0]))
                    .thenApply(v -> {
                        long[] out = new long[others.length];
                        int n = 0;
                        for (int i = 0; i < others.length; i++) {
                            if (!checks.get(i).join()) {
                                out[n++] = others[i];
                            }
                        }
                        return java.util.Arrays.copyOf(out, n);
                    });
        });
    }

    /**
     * {@code inbox:uc:USER}: the conversations a user is in, for {@link #strangers}. Written by the node after each
     * membership script (a user's key lies in another cluster slot than the conversation's), so it may trail the
     * member set by one round trip; the admin call returns once both are written. Dev mode's open conversations,
     * joined by sending, are not in it (docs/protocol.md, "Presence").
     */
    static byte[] userConversations(long userId) {
        return (USER_CONVERSATIONS_PREFIX + userId).getBytes(StandardCharsets.US_ASCII);
    }

    static final String USER_CONVERSATIONS_PREFIX = "inbox:uc:";

    private CompletionStage<?> index(boolean in, long userId, long conversationId) {
        RedisClusterAsyncCommands<byte[], byte[]> redis = link.commands();
        if (redis == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("redis not connected"));
        }
        byte[] key = userConversations(userId);
        byte[] member = RedisAdmission.ascii(conversationId);
        return in ? redis.sadd(key, member) : redis.srem(key, member);
    }

    private static <T> CompletionStage<T> after(List<CompletionStage<?>> updates, T value) {
        return CompletableFuture.allOf(updates.stream()
                        .map(CompletionStage::toCompletableFuture)
                        .toArray(CompletableFuture<?>[]::new))
                .thenApply(v -> value);
    }

    /** Where {@link #REMOVED_MARK} is in a script's reply, or -1. */
    private static int markAt(List<Object> reply) {
        for (int i = 1; i < reply.size(); i++) {
            if (java.util.Arrays.equals((byte[]) reply.get(i), REMOVED_MARK)) {
                return i;
            }
        }
        return -1;
    }

    private static Members members(List<Object> reply) {
        String state = new String((byte[]) reply.get(0), StandardCharsets.US_ASCII);
        if (state.isEmpty()) {
            return null;
        }
        int end = markAt(reply);
        end = end < 0 ? reply.size() : end;
        long[] ids = new long[end - 1];
        for (int i = 1; i < end; i++) {
            ids[i - 1] = RedisAdmission.parse(reply.get(i));
        }
        return Members.of(ids, "managed".equals(state));
    }
}
