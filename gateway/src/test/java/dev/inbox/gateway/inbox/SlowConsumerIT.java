package dev.inbox.gateway.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.RawWebSocket;
import dev.inbox.testkit.WsClient;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A member that stops reading while its conversation floods: bounded memory, closed, nobody else hurt. */
class SlowConsumerIT {
    private static final int MESSAGES = 6000;
    private static final int MESSAGE_CHARS = 3000;
    /** Without the bound the stalled reader would pin every frame: about MESSAGES x 3.2 KB = 19 MB. */
    private static final long DIRECT_MEMORY_BOUND = 12L << 20;

    @Test
    void stalledReaderIsClosedWithBoundedMemoryWhileOthersGetEverything() throws Exception {
        try (GatewayFixture gw =
                GatewayFixture.start("--max-outbound-bytes", "131072", "--slow-consumer-grace", "1s")) {
            gw.members(1, 1, 2, 3);
            WsClient sender = gw.connect(1);
            WsClient reader = gw.connect(2);
            try (RawWebSocket stalled =
                    RawWebSocket.connect(gw.server().port(), "/ws/inbox/", "Bearer " + gw.token(3), 4096)) {
                GatewayFixture.await("three connections", () -> gw.server().connectionCount() == 3);
                long baseline = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
                AtomicLong peak = new AtomicLong();
                AtomicBoolean sampling = new AtomicBoolean(true);
                Thread sampler = new Thread(() -> {
                    while (sampling.get()) {
                        peak.accumulateAndGet(
                                PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory(), Math::max);
                        java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
                    }
                });
                sampler.start();

                String text = "x".repeat(MESSAGE_CHARS);
                for (int i = 0; i < MESSAGES; i++) {
                    sender.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"" + i + text + "\"}");
                }
                for (int i = 0; i < MESSAGES; i++) {
                    assertTrue(
                            ((String) reader.nextJson().get("message")).startsWith(i + "x"),
                            "the prompt reader gets every message, in order");
                    sender.next();
                }
                sampling.set(false);
                sampler.join();

                GatewayFixture.await(
                        "the stalled reader is closed", () -> gw.server().connectionCount() == 2);
                String metrics = gw.admin("GET", "/metrics", null, false).body();
                assertTrue(metrics.contains("inbox_slow_consumer_disconnects_total 1.0"), "counted once");
                assertTrue(metrics.contains("inbox_closes_sent_total{code=\"1013\"} 1.0"));
                long grew = peak.get() - baseline;
                assertTrue(grew < DIRECT_MEMORY_BOUND, "direct memory grew by " + (grew >> 20) + " MiB");
                assertTrue(stalled.serverClosedTcp(), "the stalled reader's socket is closed by the server");
            }
            sender.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"after\"}");
            assertEquals("after", reader.nextJson().get("message"));
        }
    }
}
