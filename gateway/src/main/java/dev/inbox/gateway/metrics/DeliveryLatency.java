package dev.inbox.gateway.metrics;

import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.Unit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The {@code inbox_delivery_latency_seconds} histogram: one observation per delivery (per recipient connection),
 * from accept on the sending node to the flush of the frame to that connection.
 *
 * <p>Why not a Micrometer {@code Timer}: every recipient of one message on one event loop is flushed in the same
 * instant, so the hot path has one latency and a count; a {@code Timer} can only take them one observation at a
 * time, and its shared counters are written by every loop at once (about 60 ns a delivery in
 * {@code FanoutBenchmark}, most of the per-recipient budget). Here each event loop has its own {@link Row}, written
 * by that loop only with plain reads and ordered stores (no read-modify-write, no lock, no allocation), once per
 * message and loop whatever the count; a scrape sums the rows. The collector is registered with the Prometheus
 * registry under Micrometer's, so it appears in the same scrape, text or OpenMetrics.
 */
final class DeliveryLatency implements Collector {
    private static final String[] PATHS = {"local", "relayed"};

    private final MetricMetadata metadata;
    private final long[] boundsNanos;
    private final double[] boundsSeconds;
    private final List<Row> rows = new CopyOnWriteArrayList<>();

    DeliveryLatency(String name, String help, Duration[] bounds) {
        this.metadata = new MetricMetadata(name.replace('.', '_'), help, Unit.SECONDS);
        this.boundsNanos = new long[bounds.length];
        this.boundsSeconds = new double[bounds.length + 1];
        for (int i = 0; i < bounds.length; i++) {
            boundsNanos[i] = bounds[i].toNanos();
            boundsSeconds[i] = bounds[i].toNanos() / 1e9;
        }
        boundsSeconds[bounds.length] = Double.POSITIVE_INFINITY;
    }

    /** A new row for one event loop to record into. */
    Row newRow() {
        Row row = new Row(this);
        rows.add(row);
        return row;
    }

    @Override
    public String getPrometheusName() {
        return metadata.getPrometheusName();
    }

    @Override
    public MetricSnapshot collect() {
        List<HistogramSnapshot.HistogramDataPointSnapshot> points = new ArrayList<>(PATHS.length);
        int buckets = boundsSeconds.length;
        for (int p = 0; p < PATHS.length; p++) {
            long[] counts = new long[buckets];
            long sumNanos = 0;
            for (Row row : rows) {
                for (int b = 0; b < buckets; b++) {
                    counts[b] += row.counts.get(p * buckets + b);
                }
                sumNanos += row.sumNanos.get(p);
            }
            points.add(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                    .labels(Labels.of("path", PATHS[p]))
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(boundsSeconds, counts))
                    .sum(sumNanos / 1e9)
                    .build());
        }
        return new HistogramSnapshot(metadata, points);
    }

    /** Index of the first bucket whose upper bound holds {@code nanos}; the last one (+Inf) for anything above. */
    private int bucketOf(long nanos) {
        int i = 0;
        while (i < boundsNanos.length && nanos > boundsNanos[i]) {
            i++;
        }
        return i;
    }

    /**
     * One event loop's counts. Written by that loop only: each value is read plainly and stored with release
     * semantics ({@code lazySet}, an ordinary store on x86), so a scrape on another thread sees whole values.
     */
    static final class Row {
        private final DeliveryLatency histogram;
        /** Per path, per bucket (not cumulative): deliveries. */
        private final AtomicLongArray counts;
        /** Per path: the sum of every delivery's latency, in nanoseconds. */
        private final AtomicLongArray sumNanos = new AtomicLongArray(PATHS.length);

        private Row(DeliveryLatency histogram) {
            this.histogram = histogram;
            this.counts = new AtomicLongArray(PATHS.length * histogram.boundsSeconds.length);
        }

        /** {@code deliveries} connections flushed {@code latencyNanos} after accept. On this row's loop only. */
        void record(boolean relayed, long latencyNanos, int deliveries) {
            int path = relayed ? 1 : 0;
            int slot = path * histogram.boundsSeconds.length + histogram.bucketOf(Math.max(0, latencyNanos));
            counts.lazySet(slot, counts.get(slot) + deliveries);
            sumNanos.lazySet(path, sumNanos.get(path) + Math.max(0, latencyNanos) * deliveries);
        }
    }
}
