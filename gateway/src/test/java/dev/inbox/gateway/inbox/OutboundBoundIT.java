package dev.inbox.gateway.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.RawWebSocket;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * What a client makes the node write (pongs, errors, a close) counts against the same outbound bound as deliveries:
 * a peer that sends without reading costs at most the documented bound, whatever it sends.
 */
class OutboundBoundIT {
    private static final int MAX_OUTBOUND = 128 * 1024;
    /**
     * The documented cost of one stalled client is 4x the bound; the rest is slack for the read buffers in flight.
     * Without the bound a ping flood grew the node by about 100 MB a second.
     */
    private static final long DIRECT_MEMORY_BOUND = 4L * MAX_OUTBOUND + (2L << 20);

    @Test
    void pingFloodFromAPeerThatStopsReadingCostsAtMostTheBoundAndEndsIn1013() throws Exception {
        byte[] ping = RawWebSocket.frame(true, 0x9, new byte[125], true);
        assertFloodIsBounded(repeat(ping, 256));
    }

    private static void assertFloodIsBounded(byte[] burst) throws Exception {
        try (GatewayFixture gw = GatewayFixture.start(
                        "--max-outbound-bytes",
                        String.valueOf(MAX_OUTBOUND),
                        "--slow-consumer-grace",
                        "1s",
                        "--rate-limit",
                        "1000000",
                        "--rate-burst",
                        "1000000");
                RawWebSocket flooder =
                        RawWebSocket.connect(gw.server().port(), "/ws/inbox/", "Bearer " + gw.token(1), 4096)) {
            GatewayFixture.await("the flooder is connected", () -> gw.server().connectionCount() == 1);
            long baseline = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
            AtomicLong peak = new AtomicLong(baseline);
            AtomicBoolean flooding = new AtomicBoolean(true);
            Thread sampler = new Thread(() -> {
                while (flooding.get()) {
                    peak.accumulateAndGet(
                            PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory(), Math::max);
                    LockSupport.parkNanos(1_000_000);
                }
            });
            // Writes until the node stops reading (the write blocks) or closes (the write fails).
            Thread flood = new Thread(() -> {
                try {
                    while (flooding.get()) {
                        flooder.sendRaw(burst);
                    }
                } catch (IOException closedByTheNode) {
                    // expected: the node closed the connection
                }
            });
            sampler.start();
            flood.start();
            RawWebSocket.Frame close;
            try {
                // The node stops reading the flooder once its queue passes the bound, so the queue stops growing;
                // when the grace runs out the flooder is closed as a slow consumer.
                // Meanwhile the node stays healthy for its other users: /healthz answers on every poll.
                GatewayFixture.await("the grace has run out", () -> {
                    assertEquals(
                            200, gw.admin("GET", "/healthz", null, false).statusCode(), "/healthz during the flood");
                    return gw.admin("GET", "/metrics", null, false)
                            .body()
                            .contains("inbox_slow_consumer_disconnects_total 1.0");
                });
                close = flooder.readUntilClose(); // a peer that catches up now still learns why
                assertTrue(flooder.serverClosedTcp(), "the node closes the socket after the close frame");
            } finally {
                flooding.set(false);
                flooder.close(); // unblocks a write stuck on a full window
                flood.join();
                sampler.join();
            }
            assertEquals(1013, close.closeCode());
            GatewayFixture.await("the flooder is gone", () -> gw.server().connectionCount() == 0);
            long grew = peak.get() - baseline;
            assertTrue(
                    grew < DIRECT_MEMORY_BOUND,
                    "direct memory grew by " + (grew >> 10) + " KiB, over the bound of " + (DIRECT_MEMORY_BOUND >> 10)
                            + " KiB");
            String metrics = gw.admin("GET", "/metrics", null, false).body();
            assertTrue(metrics.contains("inbox_closes_sent_total{code=\"1013\"} 1.0"), "closed once, as slow");
        }
    }

    private static byte[] repeat(byte[] frame, int times) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(frame.length * times);
        for (int i = 0; i < times; i++) {
            out.write(frame, 0, frame.length);
        }
        return out.toByteArray();
    }
}
