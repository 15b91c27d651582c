package dev.inbox.gateway.soak;

import dev.inbox.gateway.relay.ReachableNodes;
import dev.inbox.testkit.RedisServer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Asks Redis whether users are reachable ({@link ReachableNodes}): how the soak knows, from outside the gateway, when
 * a node has subscribed its users (at start, and again after Redis came back).
 */
final class ChannelWatch {
    private static final int POLL_NANOS = 2_000_000;

    private final RedisServer redis;

    ChannelWatch(RedisServer redis) {
        this.redis = redis;
    }

    /**
     * Waits until, for each group, every user is reachable on at least one live node. Returns per group the
     * {@link System#nanoTime()} at which a reply said so (anything published after it reaches them), or
     * {@link Long#MAX_VALUE} if {@code bound} passed first. The groups are asked in turns, so one group's time does
     * not wait for another's.
     */
    long[] awaitSubscribed(List<List<Long>> groups, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        long[] at = new long[groups.size()];
        Arrays.fill(at, Long.MAX_VALUE);
        int pending = groups.size();
        while (pending > 0 && System.nanoTime() < deadline) {
            for (int g = 0; g < groups.size(); g++) {
                if (at[g] == Long.MAX_VALUE && allReachable(groups.get(g))) {
                    at[g] = System.nanoTime();
                    pending--;
                }
            }
            if (pending > 0) {
                LockSupport.parkNanos(POLL_NANOS); // re-ask every 2 ms; the bound above is what gives up
            }
        }
        return at;
    }

    private boolean allReachable(List<Long> users) {
        int[] nodes = ReachableNodes.of(redis, users);
        return nodes != null && Arrays.stream(nodes).allMatch(n -> n > 0);
    }
}
