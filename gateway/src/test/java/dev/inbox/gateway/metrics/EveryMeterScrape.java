package dev.inbox.gateway.metrics;

import io.netty.channel.DefaultEventLoopGroup;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * One scrape of a registry in which every meter a node can export has rows, those registered only on some nodes
 * included: what the metrics table and the deploy configuration are checked against.
 */
public final class EveryMeterScrape {
    private EveryMeterScrape() {}

    /** The Prometheus text of it. */
    public static String text() {
        GatewayMetrics metrics = new GatewayMetrics();
        metrics.gauges(() -> 0, () -> 0);
        metrics.presence(() -> 0); // registered by every node's presence
        metrics.redisGauge(() -> 1); // registered on clustered nodes only
        metrics.relayWaiting(() -> 0); // likewise
        metrics.resumesWaiting(() -> 0); // registered by every node's resumer
        metrics.hook("publish", () -> 0).answeredIn(1_000_000); // registered for a configured hook only
        // Registered on clustered nodes with the outbox on; the lag and pending rows appear once a group exists.
        metrics.outbox().polled(0, new TreeMap<>(Map.of("backend", new long[] {0, 0})));
        metrics.latencyRecorder().delivered(false, 1, 1_000_000); // the latency histogram has rows once a loop records
        DefaultEventLoopGroup loops = new DefaultEventLoopGroup(1);
        try {
            metrics.eventLoops(loops);
            return metrics.scrape(null);
        } finally {
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }
}
