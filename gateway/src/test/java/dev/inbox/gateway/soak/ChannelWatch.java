package dev.inbox.gateway.soak;

import dev.inbox.testkit.RedisServer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Asks Redis ({@code PUBSUB NUMSUB}) whether user channels are subscribed: how the soak knows, from outside the
 * gateway, when a node has subscribed its users (at start, and again after Redis came back).
 */
final class ChannelWatch {
    private static final int POLL_NANOS = 2_000_000;

    private final RedisServer redis;

    ChannelWatch(RedisServer redis) {
        this.redis = redis;
    }

    /**
     * Waits until, for each group, every user's channel has at least one subscriber. Returns per group the
     * {@link System#nanoTime()} at which a reply said so (anything published after it reaches them), or
     * {@link Long#MAX_VALUE} if {@code bound} passed first. The groups are asked in turns, so one group's time does
     * not wait for another's.
     */
    long[] awaitSubscribed(List<List<Long>> groups, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        long[] at = new long[groups.size()];
        Arrays.fill(at, Long.MAX_VALUE);
        List<String> commands = new ArrayList<>();
        for (List<Long> users : groups) {
            StringBuilder cmd = new StringBuilder("PUBSUB NUMSUB");
            for (long u : users) {
                cmd.append(" inbox:u:").append(u);
            }
            commands.add(cmd.toString());
        }
        int pending = groups.size();
        while (pending > 0 && System.nanoTime() < deadline) {
            for (int g = 0; g < groups.size(); g++) {
                if (at[g] == Long.MAX_VALUE
                        && allSubscribed(commands.get(g), groups.get(g).size())) {
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

    /** Each user's channel's subscriber count, in one {@code PUBSUB NUMSUB}; null when Redis does not answer. */
    int[] subscribers(List<Long> users) {
        StringBuilder cmd = new StringBuilder("PUBSUB NUMSUB");
        for (long u : users) {
            cmd.append(" inbox:u:").append(u);
        }
        try {
            List<String> lines = redis.commandLines(cmd.toString(), 1 + 3 * users.size());
            if (lines.size() != 1 + 3 * users.size()) {
                return null;
            }
            int[] counts = new int[users.size()];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = Integer.parseInt(lines.get(3 + 3 * i).substring(1));
            }
            return counts;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** One NUMSUB: a reply of {@code *2n}, then per channel {@code $len}, the name, {@code :count}. */
    private boolean allSubscribed(String inline, int channels) {
        try {
            List<String> lines = redis.commandLines(inline, 1 + 3 * channels);
            if (lines.size() != 1 + 3 * channels) {
                return false;
            }
            for (int i = 3; i < lines.size(); i += 3) {
                if (!lines.get(i).startsWith(":") || lines.get(i).equals(":0")) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false; // Redis is not back yet
        }
    }
}
