package dev.inbox.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The meters of one backend hook ({@code hook="publish"} or {@code "connect"}), created once. Thread-safe. */
public final class HookMeters {
    private final Counter[] calls = new Counter[HookOutcome.values().length];
    private final Timer latency;

    HookMeters(MeterRegistry registry, String hook, Duration[] slos, Supplier<Number> inFlight) {
        for (HookOutcome o : HookOutcome.values()) {
            calls[o.ordinal()] = Counter.builder(InboxMeters.HOOK_CALLS.meterName())
                    .description(InboxMeters.HOOK_CALLS.description())
                    .tag("hook", hook)
                    .tag(InboxMeters.HOOK_CALLS.label(), o.label())
                    .register(registry);
        }
        latency = Timer.builder(InboxMeters.HOOK_LATENCY.meterName())
                .description(InboxMeters.HOOK_LATENCY.description())
                .tag(InboxMeters.HOOK_LATENCY.label(), hook)
                .serviceLevelObjectives(slos)
                .register(registry);
        Gauge.builder(InboxMeters.HOOK_IN_FLIGHT.meterName(), inFlight)
                .description(InboxMeters.HOOK_IN_FLIGHT.description())
                .tag(InboxMeters.HOOK_IN_FLIGHT.label(), hook)
                .register(registry);
    }

    public void call(HookOutcome outcome) {
        calls[outcome.ordinal()].increment();
    }

    /** One answered call's round trip, whatever it answered. */
    public void answeredIn(long nanos) {
        latency.record(nanos, TimeUnit.NANOSECONDS);
    }
}
