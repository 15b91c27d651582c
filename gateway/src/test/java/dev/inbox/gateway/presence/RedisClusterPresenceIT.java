package dev.inbox.gateway.presence;

import dev.inbox.testkit.RedisClusterServers;
import dev.inbox.testkit.RedisServer;
import java.io.IOException;

/**
 * Every test of {@link RedisPresenceIT} again on a three-master Redis Cluster: the presence keys share one hash tag,
 * so they live on one shard, which the nodes find from the slot map.
 */
class RedisClusterPresenceIT extends RedisPresenceIT {
    private RedisClusterServers cluster;

    @Override
    void startRedis() {
        cluster = RedisClusterServers.start();
    }

    @Override
    void stopRedis() {
        cluster.close();
    }

    @Override
    String redisUri() {
        return cluster.uri();
    }

    /** Asked of every master: only the one that owns the presence slot answers with an integer. */
    @Override
    long presenceCount(String command, String key) throws IOException {
        String answers = "";
        for (RedisServer master : cluster.masters()) {
            String reply = master.command(command + " {inbox:presence}:" + key);
            if (reply.startsWith(":")) {
                return Long.parseLong(reply.substring(1));
            }
            answers += reply + "; ";
        }
        throw new AssertionError("no master owns the presence slot: " + answers);
    }
}
