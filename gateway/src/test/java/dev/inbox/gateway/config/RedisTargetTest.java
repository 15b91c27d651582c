package dev.inbox.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisURI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RedisTargetTest {
    private static final Duration TIMEOUT = Duration.ofMillis(1500);

    @Test
    void oneServerKeepsItsDatabaseAndTlsAndCarriesTheTimeoutAndClientName() throws ConfigException {
        RedisTarget target = RedisTarget.parse("rediss://user:pw@cache.internal:6380/3", TIMEOUT);
        assertFalse(target.cluster());
        RedisURI node = target.node();
        assertEquals("cache.internal", node.getHost());
        assertEquals(6380, node.getPort());
        assertEquals(3, node.getDatabase());
        assertTrue(node.isSsl());
        assertEquals(
                "user",
                node.getCredentialsProvider().resolveCredentials().block().getUsername());
        assertEquals("pw", password(node));
        assertEquals(TIMEOUT, node.getTimeout());
        assertEquals("inbox-gateway", node.getClientName());
    }

    @Test
    void aClusterUriIsOneSeedPerHostEachWithThePassword() throws ConfigException {
        RedisTarget target = RedisTarget.parse("redis+cluster://:pw@10.0.0.1:7000, 10.0.0.2:7001", TIMEOUT);
        assertTrue(target.cluster());
        assertEquals(2, target.nodes().size());
        assertEquals("10.0.0.2", target.nodes().get(1).getHost());
        assertEquals(7001, target.nodes().get(1).getPort());
        assertEquals("pw", password(target.nodes().get(1)));
        assertEquals(TIMEOUT, target.nodes().get(1).getTimeout());
        assertEquals("redis+cluster://***@10.0.0.1:7000, 10.0.0.2:7001", target.toString());
    }

    @Test
    void anythingElseIsRefusedWithoutPrintingThePassword() {
        for (String bad : new String[] {"http://:secret@host:6379", "redis://:secret@", "redis:/host", "host:6379"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> RedisTarget.parse(bad, TIMEOUT), bad);
            assertTrue(e.getMessage().startsWith("redis: "), e.getMessage());
            assertTrue(e.getMessage().contains("expected: redis://host:port"), e.getMessage());
            assertFalse(e.getMessage().contains("secret"), e.getMessage());
        }
    }

    private static String password(RedisURI node) {
        return new String(
                node.getCredentialsProvider().resolveCredentials().block().getPassword());
    }
}
