package dev.inbox.gateway.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 11's attack on the admin port, scaled to a test: {@value #ATTACKERS} connections without the key, each
 * announcing a body of about 1 MB, sending it and holding the connection open. Before the fix the node read every
 * body (1 MiB each, before looking at the key) until its direct memory ran out and its admin loop stalled in
 * {@code Bits.reserveMemory}.
 */
class AdminFloodIT {
    private static final int ATTACKERS = 200;
    private static final int BODY_BYTES = 1_000_000;
    private static final String HEAD = "PUT /api/conversations/1/members HTTP/1.1\r\nHost: test\r\n"
            + "Content-Type: application/json\r\nContent-Length: 1048000\r\n\r\n";
    /**
     * The operations doc's bound on what admin request bodies hold at once: admin-max-connections (64) x
     * admin-max-body-bytes (1 MiB), the defaults this node runs with. Bodies without the key hold nothing of it.
     */
    private static final long DOCUMENTED_BOUND = 64L * 1_048_576;
    /** A Kubernetes probe's default timeout is 1 s; a loaded two-core test machine gets twice that. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

    private static final Pattern DIRECT =
            Pattern.compile("^jvm_buffer_memory_used_bytes\\{id=\"direct\"} (\\S+)$", Pattern.MULTILINE);

    @Test
    void bodiesWithoutTheKeyNeitherGrowMemoryNorStopHealthChecks() throws IOException {
        try (GatewayFixture gw = GatewayFixture.start()) {
            long before = direct(gw);
            long peak = 0;
            List<SocketChannel> attackers = new ArrayList<>();
            long[] sent = new long[ATTACKERS];
            try {
                for (int i = 0; i < ATTACKERS; i++) {
                    SocketChannel c = SocketChannel.open(
                            new InetSocketAddress("127.0.0.1", gw.server().adminPort()));
                    c.write(ByteBuffer.wrap(HEAD.getBytes(StandardCharsets.US_ASCII)));
                    c.configureBlocking(false);
                    attackers.add(c);
                }
                // Write every body as fast as the node takes it, probing health and sampling memory between rounds.
                byte[] chunk = new byte[64 * 1024];
                Arrays.fill(chunk, (byte) '1');
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                boolean writing = true;
                while (writing) {
                    assertTrue(System.nanoTime() < deadline, "the bodies were neither taken nor refused in 60 s");
                    writing = false;
                    for (int i = 0; i < ATTACKERS; i++) {
                        SocketChannel c = attackers.get(i);
                        try {
                            int n;
                            while (sent[i] < BODY_BYTES
                                    && (n = c.write(ByteBuffer.wrap(
                                                    chunk, 0, (int) Math.min(chunk.length, BODY_BYTES - sent[i]))))
                                            > 0) {
                                sent[i] += n;
                            }
                        } catch (IOException refused) {
                            sent[i] = BODY_BYTES; // the node closed it: nothing more to send
                        }
                        writing |= sent[i] < BODY_BYTES;
                    }
                    peak = Math.max(peak, probe(gw, before));
                }
                // Held open: each must have been answered and closed by the node without the rest of its body.
                int open = ATTACKERS;
                ByteBuffer sink = ByteBuffer.allocate(4096);
                boolean[] closed = new boolean[ATTACKERS];
                long answerBy = System.nanoTime() + WsClient.WAIT.toNanos();
                while (open > 0 && System.nanoTime() < answerBy) {
                    for (int i = 0; i < ATTACKERS; i++) {
                        if (!closed[i] && closedByNode(attackers.get(i), sink)) {
                            closed[i] = true;
                            open--;
                        }
                    }
                    peak = Math.max(peak, probe(gw, before));
                }
                assertTrue(
                        peak <= DOCUMENTED_BOUND,
                        "direct memory grew by " + peak / 1024 + " KiB (bound: " + DOCUMENTED_BOUND / 1024 + " KiB)");
                assertEquals(0, open, "connections without the key the node left open, waiting for their bodies");
                gw.connect(1).close(); // and the public port still upgrades
            } finally {
                for (SocketChannel c : attackers) {
                    c.close();
                }
            }
        }
    }

    /** Asserts that {@code /healthz} answers 200 in time; returns how far direct memory has grown meanwhile. */
    private static long probe(GatewayFixture gw, long before) {
        HttpResponse<String> health = get(gw, "/healthz");
        assertEquals(200, health.statusCode(), health.body());
        return direct(gw) - before;
    }

    /** The node's direct buffer memory: Netty's buffers are JDK direct buffers on this JDK. */
    private static long direct(GatewayFixture gw) {
        Matcher m = DIRECT.matcher(get(gw, "/metrics").body());
        assertTrue(m.find(), "no direct buffer meter on /metrics");
        return (long) Double.parseDouble(m.group(1));
    }

    private static HttpResponse<String> get(GatewayFixture gw, String path) {
        HttpRequest r = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + gw.server().adminPort() + path))
                .timeout(PROBE_TIMEOUT)
                .GET()
                .build();
        try {
            return gw.http().send(r, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("GET " + path + " did not answer within " + PROBE_TIMEOUT, e);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Whether the node has closed {@code c}: end of stream or a reset, after any answer it wrote. */
    private static boolean closedByNode(SocketChannel c, ByteBuffer sink) {
        try {
            int n;
            do {
                sink.clear();
                n = c.read(sink);
            } while (n > 0);
            return n < 0;
        } catch (IOException reset) {
            return true;
        }
    }
}
