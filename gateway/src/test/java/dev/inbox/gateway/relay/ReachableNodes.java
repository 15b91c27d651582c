package dev.inbox.gateway.relay;

import dev.inbox.testkit.RedisServer;
import java.io.IOException;
import java.util.List;

/**
 * How many live nodes Redis would relay each user's events to: the nodes in the user's set whose channel has a
 * subscriber ({@link NodeRegistry}). Asked from outside the gateway, as the tests' "subscribed on N nodes" condition.
 */
public final class ReachableNodes {
    private static final String COUNT = "\"local r = {} for i = 1, #KEYS do local n = 0"
            + " for _, node in ipairs(redis.call('SMEMBERS', KEYS[i])) do"
            + " if redis.call('PUBSUB', 'NUMSUB', '" + NodeRegistry.NODE_CHANNEL_PREFIX + "' .. node)[2] > 0"
            + " then n = n + 1 end end r[i] = n end return r\"";

    private ReachableNodes() {}

    /** Per user, in order, the live nodes it is reachable on; {@code null} when Redis does not answer in full. */
    public static int[] of(RedisServer redis, List<Long> users) {
        StringBuilder cmd = new StringBuilder("EVAL ").append(COUNT).append(' ').append(users.size());
        for (long u : users) {
            cmd.append(' ').append(new String(NodeRegistry.key(u), java.nio.charset.StandardCharsets.US_ASCII));
        }
        try {
            List<String> lines = redis.commandLines(cmd.toString(), 1 + users.size());
            if (lines.size() != 1 + users.size() || !lines.get(0).equals("*" + users.size())) {
                return null;
            }
            int[] counts = new int[users.size()];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = Integer.parseInt(lines.get(1 + i).substring(1));
            }
            return counts;
        } catch (IOException | RuntimeException e) {
            return null; // not up, or not answering yet
        }
    }

    /** Whether {@code user} is reachable on exactly {@code nodes} live nodes. */
    public static boolean is(RedisServer redis, long user, int nodes) {
        int[] counts = of(redis, List.of(user));
        return counts != null && counts[0] == nodes;
    }
}
