package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.config.RedisTarget;
import dev.inbox.testkit.RedisServer;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What the per-conversation order of a standalone Redis rests on, against a real redis-server: the link's one
 * connection carries script replies and publications, one Lettuce thread decodes both, and a reply is handed over
 * as it is decoded, so whatever Redis wrote after a reply is handed over after it.
 */
class StandaloneRedisLinkIT {
    private static final NodeRegistry NODE = new NodeRegistry(1);
    /** Publishes its argument, as the admission script publishes a message, and answers with it. */
    private static final String PUBLISH_AND_ANSWER = """
            redis.call('PUBLISH', KEYS[1], ARGV[1])
            return {ARGV[1]}
            """;

    @Test
    void eachReplyIsHandedOverOnThePublicationsThreadBeforeWhatRedisWroteAfterIt() throws Exception {
        BlockingQueue<String[]> handedOver = new LinkedBlockingQueue<>(); // {thread, what, script number}
        RedisPubSubAdapter<byte[], byte[]> receiver = new RedisPubSubAdapter<>() {
            @Override
            public void message(byte[] channel, byte[] message) {
                handedOver.add(new String[] {Thread.currentThread().getName(), "published", ascii(message)});
            }
        };
        CountDownLatch connected = new CountDownLatch(1);
        RedisLink.Events events = new RedisLink.Events() {
            @Override
            public void reachability(String problem) {}

            @Override
            public void interrupted() {}

            @Override
            public void connected() {
                connected.countDown();
            }
        };
        RedisScript script = new RedisScript(PUBLISH_AND_ANSWER);
        int scripts = 500;
        try (RedisServer redis = RedisServer.start();
                StandaloneRedisLink link = new StandaloneRedisLink(
                        config(redis, Duration.ofSeconds(5), Duration.ofSeconds(1), 2 * scripts),
                        receiver,
                        events,
                        NODE)) {
            link.preload(script);
            link.start();
            assertTrue(connected.await(10, TimeUnit.SECONDS), "connected");
            byte[] channel = NODE.channel(); // subscribed by the link before it reports connected

            // All in flight at once, as a busy conversation's messages are.
            for (int i = 0; i < scripts; i++) {
                link.run(script, new byte[][] {channel}, new byte[][] {RedisAdmission.ascii(i)}, (reply, failure) -> {
                    String by = Thread.currentThread().getName();
                    handedOver.add(
                            failure == null
                                    ? new String[] {by, "replied", ascii((byte[]) reply.get(0))}
                                    : new String[] {by, "failed", failure.toString()});
                });
            }

            String thread = null;
            int replied = -1;
            int published = -1;
            for (int k = 0; k < 2 * scripts; k++) {
                String[] next = handedOver.poll(10, TimeUnit.SECONDS);
                assertNotNull(next, "handed over: " + replied + " replies, " + published + " publications");
                thread = thread == null ? next[0] : thread;
                assertNotEquals("failed", next[1], next[2]);
                assertEquals(thread, next[0], "replies and publications are handed over by one thread");
                int n = Integer.parseInt(next[2]);
                if (next[1].equals("replied")) {
                    assertEquals(replied + 1, n, "replies in order");
                    assertTrue(published >= n - 1, "script " + (n - 1) + " published before script " + n + " replied");
                    replied = n;
                } else {
                    assertEquals(published + 1, n, "publications in order");
                    assertTrue(
                            replied >= n - 1,
                            "script " + (n - 1) + "'s reply was handed over before script " + n + "'s publication");
                    published = n;
                }
            }
            assertNotEquals(Thread.currentThread().getName(), thread, "Lettuce's thread, not the caller's");
        }
    }

    /**
     * A Redis that answers pings with an error (here BUSY, behind a long script; after a restart, LOADING) is up: the
     * link says it is not ready meanwhile, but does not replace a working connection, which would start a relay gap
     * (every user closed with 4002) and a new handshake into a server that is still busy.
     */
    @Test
    void aRedisAnsweringPingsWithAnErrorIsNotReadyButItsConnectionIsKept() throws Exception {
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        RedisLink.Events events = new RedisLink.Events() {
            @Override
            public void reachability(String problem) {
                seen.add("reachability " + problem);
            }

            @Override
            public void interrupted() {
                seen.add("interrupted");
            }

            @Override
            public void connected() {
                seen.add("connected");
            }
        };
        try (RedisServer redis = RedisServer.start("--busy-reply-threshold", "50");
                StandaloneRedisLink link = new StandaloneRedisLink(
                        config(redis, Duration.ofSeconds(1), Duration.ofMillis(100), 16),
                        new RedisPubSubAdapter<>(),
                        events,
                        NODE)) {
            link.start();
            assertEquals("reachability redis not connected yet", seen.poll(10, TimeUnit.SECONDS));
            assertEquals("reachability null", seen.poll(10, TimeUnit.SECONDS));
            assertEquals("connected", seen.poll(10, TimeUnit.SECONDS));

            // A script that keeps Redis busy for 1.2 s: every other client is answered BUSY meanwhile.
            Thread busy = new Thread(() -> {
                try {
                    redis.command(
                            "EVAL \"local function now() local t = redis.call('TIME') return t[1] * 1000000 + t[2] end "
                                    + "local s = now() while now() - s < 1200000 do end return 1\" 0");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            busy.start();
            assertEquals("reachability redis answers with an error", seen.poll(10, TimeUnit.SECONDS));
            busy.join(10_000);
            String next;
            while ((next = seen.poll(10, TimeUnit.SECONDS)) != null && !next.equals("reachability null")) {
                assertEquals("reachability redis answers with an error", next, "nothing but not ready until it ends");
            }
            assertEquals("reachability null", next, "ready again once pings are answered");
            assertNull(seen.poll(500, TimeUnit.MILLISECONDS), "neither interrupted nor reconnected");
        }
    }

    /**
     * The link comes back to a Redis that refuses to load the scripts (a restarted one answers LOADING while it reads
     * its data; this one has no SCRIPT command at all, which makes the refusal certain): the scripts go whole, with
     * EVAL, so the first admissions after it answers are run, not refused with NOSCRIPT while Redis is up.
     */
    @Test
    void aRedisThatRefusedTheScriptsLoadOnReconnectingStillRunsThem() throws Exception {
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        RedisLink.Events events = new RedisLink.Events() {
            @Override
            public void reachability(String problem) {}

            @Override
            public void interrupted() {
                seen.add("interrupted");
            }

            @Override
            public void connected() {
                seen.add("connected");
            }
        };
        RedisScript script = new RedisScript(PUBLISH_AND_ANSWER);
        RedisServer first = RedisServer.start();
        int port = first.port();
        try (StandaloneRedisLink link = new StandaloneRedisLink(
                config(first, Duration.ofSeconds(5), Duration.ofSeconds(1), 16),
                new RedisPubSubAdapter<>(),
                events,
                NODE)) {
            link.preload(script);
            link.start();
            assertEquals("connected", seen.poll(10, TimeUnit.SECONDS));
            assertEquals("answer 1", run(link, script, "answer 1"));
            assertTrue(script.cached(), "loaded with the connection: by SHA1 alone");

            first.close();
            assertEquals("interrupted", seen.poll(10, TimeUnit.SECONDS));
            try (RedisServer second = RedisServer.start(port, "--rename-command", "SCRIPT", "")) {
                assertEquals("connected", seen.poll(30, TimeUnit.SECONDS), "reconnected to the new server");
                assertEquals("answer 2", run(link, script, "answer 2"), "sent whole: the load was refused");
                assertEquals("answer 3", run(link, script, "answer 3"), "and again, while it stays unloaded");
                assertFalse(script.cached(), "never loaded into this server");
            }
        }
    }

    private static String run(StandaloneRedisLink link, RedisScript script, String arg) throws Exception {
        BlockingQueue<String> outcome = new LinkedBlockingQueue<>();
        link.run(
                script,
                new byte[][] {NODE.channel()},
                new byte[][] {arg.getBytes(StandardCharsets.US_ASCII)},
                (reply, failure) -> outcome.add(failure == null ? ascii((byte[]) reply.get(0)) : failure.toString()));
        String answer = outcome.poll(10, TimeUnit.SECONDS);
        assertNotNull(answer, "an outcome");
        return answer;
    }

    /** The link's settings against {@code redis}: command timeout, ping interval, command queue; no outbox. */
    private static GatewayConfig.Redis config(RedisServer redis, Duration timeout, Duration pingInterval, int queue)
            throws Exception {
        return new GatewayConfig.Redis(
                RedisTarget.parse(redis.uri(), Duration.ofSeconds(5)),
                timeout,
                pingInterval,
                queue,
                Duration.ZERO,
                Duration.ofSeconds(1),
                new GatewayConfig.Outbox(false, 1, 1, Duration.ofHours(1), false, Duration.ofSeconds(10)));
    }

    private static String ascii(byte[] bytes) {
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
