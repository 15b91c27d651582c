package dev.inbox.gateway.testing;

import dev.inbox.testkit.RedisServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Several gateway nodes in this JVM on one real redis-server of the test's own, fresh for each test:
 * {@code @RegisterExtension final RedisNodes cluster = new RedisNodes("--redis-timeout", "2s");}. Every node gets
 * {@code --redis} and the flags given here, then its own; all are closed after the test, then Redis.
 */
public final class RedisNodes implements BeforeEachCallback, AfterEachCallback {
    private final List<String> flags;
    private final List<GatewayFixture> nodes = new ArrayList<>();
    private RedisServer redis;

    public RedisNodes(String... flags) {
        this.flags = List.of(flags);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        redis = RedisServer.start();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try {
            for (GatewayFixture n : nodes) {
                n.close();
            }
        } finally {
            nodes.clear();
            redis.close();
        }
    }

    public RedisServer redis() {
        return redis;
    }

    /** A new node on this test's Redis, ready. */
    public GatewayFixture node(String... more) {
        List<String> args = new ArrayList<>(List.of("--redis", redis.uri()));
        args.addAll(flags);
        args.addAll(List.of(more));
        GatewayFixture n = GatewayFixture.start(args.toArray(new String[0])).awaitReady();
        nodes.add(n);
        return n;
    }

    /** Closes {@code node} now, as a node that stops or dies mid-test. */
    public void stop(GatewayFixture node) {
        nodes.remove(node);
        node.close();
    }
}
