package dev.inbox.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outbox's meters, created once on a clustered node with the outbox on. The gauges are the janitor's last poll of
 * every partition, so every node reports the same cluster-wide values; the counters are this node's. Thread-safe.
 */
public final class OutboxMeters {
    /**
     * Most consumer groups the lag and pending gauges have a row for (the first by name): the backend names the
     * groups, and the label set stays bounded whatever it does.
     */
    public static final int MAX_GROUPS = 32;

    private final AtomicLong entries = new AtomicLong();
    private final MultiGauge lag;
    private final MultiGauge pending;
    private final Counter droppedFull;
    private final Counter droppedExpired;
    private final Counter refused;

    OutboxMeters(MeterRegistry registry) {
        Gauge.builder(InboxMeters.OUTBOX_ENTRIES.meterName(), entries, AtomicLong::get)
                .description(InboxMeters.OUTBOX_ENTRIES.description())
                .register(registry);
        lag = MultiGauge.builder(InboxMeters.OUTBOX_LAG.meterName())
                .description(InboxMeters.OUTBOX_LAG.description())
                .register(registry);
        pending = MultiGauge.builder(InboxMeters.OUTBOX_PENDING.meterName())
                .description(InboxMeters.OUTBOX_PENDING.description())
                .register(registry);
        droppedFull = dropped(registry, "full");
        droppedExpired = dropped(registry, "expired");
        refused = Counter.builder(InboxMeters.OUTBOX_REFUSED.meterName())
                .description(InboxMeters.OUTBOX_REFUSED.description())
                .register(registry);
    }

    private static Counter dropped(MeterRegistry registry, String reason) {
        return Counter.builder(InboxMeters.OUTBOX_DROPPED.meterName())
                .description(InboxMeters.OUTBOX_DROPPED.description())
                .tag(InboxMeters.OUTBOX_DROPPED.label(), reason)
                .register(registry);
    }

    /** A message refused because its partition's stream was full. */
    public void refused() {
        refused.increment();
    }

    /** Entries trimmed to make room for new ones ({@code --outbox-when-full trim}). */
    public void droppedFull(long n) {
        droppedFull.increment(n);
    }

    /** Entries trimmed for their age that some consumer group had not acknowledged. */
    public void expired(long n) {
        droppedExpired.increment(n);
    }

    /**
     * One poll of every partition.
     *
     * @param totalEntries the sum of the streams' lengths
     * @param groups       per consumer group, by name: {lag, pending} summed over the partitions
     */
    public void polled(long totalEntries, SortedMap<String, long[]> groups) {
        entries.set(totalEntries);
        List<MultiGauge.Row<?>> lagRows = new ArrayList<>();
        List<MultiGauge.Row<?>> pendingRows = new ArrayList<>();
        for (Map.Entry<String, long[]> g : groups.entrySet()) {
            if (lagRows.size() == MAX_GROUPS) {
                break;
            }
            Tags tags = Tags.of(InboxMeters.OUTBOX_LAG.label(), g.getKey());
            lagRows.add(MultiGauge.Row.of(tags, g.getValue()[0]));
            pendingRows.add(MultiGauge.Row.of(tags, g.getValue()[1]));
        }
        lag.register(lagRows, true);
        pending.register(pendingRows, true);
    }
}
