package dev.inbox.testkit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A three-master Redis Cluster made by the test: three {@code redis-server --cluster-enabled yes} on free ports,
 * joined with {@code redis-cli --cluster create}. Stopped and deleted on close.
 */
public final class RedisClusterServers implements AutoCloseable {
    private final List<RedisServer> masters = new ArrayList<>();

    private RedisClusterServers() {}

    public static RedisClusterServers start() {
        ExternalProgram.require("redis-server", "redis-server");
        ExternalProgram.require("redis-cli", "redis-tools");
        RedisClusterServers cluster = new RedisClusterServers();
        try {
            for (int i = 0; i < 3; i++) {
                cluster.masters.add(RedisServer.start(
                        RedisServer.freePortWithClusterBus(),
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes.conf",
                        "--cluster-node-timeout",
                        "5000"));
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            for (RedisServer m : cluster.masters) {
                create.add("127.0.0.1:" + m.port());
            }
            create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError("redis-cli --cluster create failed: " + out);
            }
            Await.until(
                    "the cluster is ok on every master",
                    () -> cluster.masters.stream().allMatch(m -> {
                        try {
                            return String.join("\n", m.bulkLines("CLUSTER INFO"))
                                    .contains("cluster_state:ok");
                        } catch (IOException e) {
                            return false;
                        }
                    }));
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            cluster.close();
            throw new AssertionError("cannot make a Redis Cluster (redis-server and redis-cli 7 needed)", e);
        }
    }

    public List<RedisServer> masters() {
        return masters;
    }

    /** The gateway's URI for this cluster. */
    public String uri() {
        StringBuilder b = new StringBuilder("redis+cluster://");
        for (int i = 0; i < masters.size(); i++) {
            b.append(i == 0 ? "" : ",")
                    .append("127.0.0.1:")
                    .append(masters.get(i).port());
        }
        return b.toString();
    }

    @Override
    public void close() {
        for (RedisServer m : masters) {
            m.close();
        }
    }
}
