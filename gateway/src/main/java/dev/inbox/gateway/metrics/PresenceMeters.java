package dev.inbox.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Supplier;

/** The presence meters, created once. Thread-safe. */
public final class PresenceMeters {
    /** Why a {@code PRESENCE_SUBSCRIBE} was refused; the {@code reason} label. */
    public enum Refusal {
        FORBIDDEN,
        LIMIT,
        RATE,
        UNAVAILABLE;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Counter published;
    private final Counter delivered;
    private final Counter[] refused = new Counter[Refusal.values().length];

    PresenceMeters(MeterRegistry registry, Supplier<Number> subscriptions) {
        Gauge.builder(InboxMeters.PRESENCE_SUBSCRIPTIONS.meterName(), subscriptions)
                .description(InboxMeters.PRESENCE_SUBSCRIPTIONS.description())
                .register(registry);
        published = Counter.builder(InboxMeters.PRESENCE_PUBLISHED.meterName())
                .description(InboxMeters.PRESENCE_PUBLISHED.description())
                .register(registry);
        delivered = Counter.builder(InboxMeters.PRESENCE_DELIVERED.meterName())
                .description(InboxMeters.PRESENCE_DELIVERED.description())
                .register(registry);
        for (Refusal r : Refusal.values()) {
            refused[r.ordinal()] = Counter.builder(InboxMeters.PRESENCE_REFUSED.meterName())
                    .description(InboxMeters.PRESENCE_REFUSED.description())
                    .tag(InboxMeters.PRESENCE_REFUSED.label(), r.label())
                    .register(registry);
        }
    }

    public void published() {
        published.increment();
    }

    public void delivered(int frames) {
        delivered.increment(frames);
    }

    public void refused(Refusal reason) {
        refused[reason.ordinal()].increment();
    }
}
