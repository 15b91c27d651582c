package dev.inbox.gateway.relay;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * On a standalone Redis, events are addressed to nodes, not users: one publication per node that has recipients,
 * carrying their ids, instead of one per member. Each node subscribes to its own channel {@code inbox:n:<node>} and
 * records, for every user connected to it, its id in the user's set {@code {inbox:u:<user>}:nodes}; the scripts read
 * the members' sets, group the members by node, skip the sending node (it delivers to its own connections from the
 * reply) and publish once to each other node ({@link #PUBLISH_TO_NODES}).
 *
 * <p>A node's entry is added when its user's first connection opens and removed when the last closes, like the
 * per-user subscription it replaces, and it is in place (the script's reply) before the user is counted as reachable.
 * A node that dies leaves its entries behind: the first publication to its channel that reaches no subscriber
 * removes them, so no entry expires under a live node and a dead node's entries last until their user's next event.
 * The node's channel is subscribed on every connection before the link reports it connected, so an entry never
 * points at a node whose connection cannot hear it except during a gap ({@link RelayGaps}), which closes and
 * resubscribes everything anyway.
 */
final class NodeRegistry {
    static final String NODE_CHANNEL_PREFIX = "inbox:n:";

    /** KEYS: users' node sets. ARGV: 1 this node. */
    private static final String REGISTER = "for i = 1, #KEYS do redis.call('SADD', KEYS[i], ARGV[1]) end return 0";

    private static final String UNREGISTER = "for i = 1, #KEYS do redis.call('SREM', KEYS[i], ARGV[1]) end return 0";

    /**
     * Lua: {@code publish_to_nodes(users, envelope)} publishes {@code envelope} (a {@link RelayEnvelope}, whose origin
     * is the sending node) once to every node other than the origin that has one of {@code users}, flagged as
     * addressed and followed by that node's recipients ({@link RelayEnvelope#addressed}). A publication nobody heard
     * removes that node from those users' sets: its subscriber is gone.
     */
    static final String PUBLISH_TO_NODES = """
            local function publish_to_nodes(users, envelope)
              local origin = (string.gsub(string.sub(envelope, 2, 9), '.',
                function(c) return string.format('%02x', string.byte(c)) end))
              local by_node, nodes = {}, {}
              for i = 1, #users do
                local here = redis.call('SMEMBERS', '{inbox:u:' .. users[i] .. '}:nodes')
                for j = 1, #here do
                  local n = here[j]
                  if n ~= origin then
                    local list = by_node[n]
                    if not list then
                      list = {}
                      by_node[n] = list
                      nodes[#nodes + 1] = n
                    end
                    list[#list + 1] = users[i]
                  end
                end
              end
              if #nodes == 0 then return end
              local head = string.char(string.byte(envelope, 1) + 16) .. string.sub(envelope, 2, 25)
              local frame = string.sub(envelope, 26)
              for k = 1, #nodes do
                local n = nodes[k]
                local list = by_node[n]
                if redis.call('PUBLISH', 'inbox:n:' .. n, head .. table.concat(list, ',') .. ';' .. frame) == 0 then
                  for i = 1, #list do redis.call('SREM', '{inbox:u:' .. list[i] .. '}:nodes', n) end
                end
              end
            end
            """;

    /** Users registered per script call: a resubscription of 100 000 users never blocks Redis for long. */
    private static final int BATCH = 512;

    private final byte[] node;
    private final byte[] channel;
    private final RedisScript register = new RedisScript(REGISTER);
    private final RedisScript unregister = new RedisScript(UNREGISTER);

    NodeRegistry(long nodeId) {
        String hex = HexFormat.of().toHexDigits(nodeId);
        this.node = hex.getBytes(StandardCharsets.US_ASCII);
        this.channel = (NODE_CHANNEL_PREFIX + hex).getBytes(StandardCharsets.US_ASCII);
    }

    /** This node's channel. */
    byte[] channel() {
        return channel.clone();
    }

    List<RedisScript> scripts() {
        return List.of(register, unregister);
    }

    /** The set of nodes {@code userId} is connected to. */
    static byte[] key(long userId) {
        return ("{" + RedisKeys.USER_CHANNEL_PREFIX + userId + "}:nodes").getBytes(StandardCharsets.US_ASCII);
    }

    /** Adds this node to the sets of {@code users}; completes once Redis has them all, or fails. */
    CompletionStage<Void> register(RedisLink link, long[] users) {
        return each(link, register, users);
    }

    /** Removes this node from the sets of {@code users}; a failure leaves entries the next publication removes. */
    void unregister(RedisLink link, long[] users) {
        each(link, unregister, users);
    }

    private CompletionStage<Void> each(RedisLink link, RedisScript script, long[] users) {
        CompletableFuture<?>[] batches = new CompletableFuture<?>[(users.length + BATCH - 1) / BATCH];
        for (int b = 0; b < batches.length; b++) {
            int from = b * BATCH;
            byte[][] keys = new byte[Math.min(BATCH, users.length - from)][];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = key(users[from + i]);
            }
            batches[b] = link.run(script, keys, node).toCompletableFuture();
        }
        return CompletableFuture.allOf(batches);
    }
}
