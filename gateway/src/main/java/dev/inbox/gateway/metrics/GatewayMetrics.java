package dev.inbox.gateway.metrics;

import dev.inbox.protocol.CloseCode;
import dev.inbox.protocol.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.EventExecutorGroup;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Every gateway meter, created once and kept in fields and arrays indexed by closed sets, so each record call is a
 * lock-free increment with no allocation. Thread-safe. {@link #scrape} renders Prometheus text or OpenMetrics.
 */
public final class GatewayMetrics {
    /** Latency buckets for SLOs: 1 ms to 10 s. */
    private static final Duration[] LATENCY_SLOS = {
        Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(10)
    };

    private final PrometheusMeterRegistry registry;
    private final Counter[] handshakes = new Counter[HandshakeOutcome.values().length];
    private final Counter[] frames = new Counter[FrameKind.values().length];
    private final Counter[] errors = new Counter[ErrorCode.values().length];
    private final Map<Integer, Counter> closesSent = new HashMap<>();
    private final Map<Integer, Counter> closesReceived = new HashMap<>();
    private final Counter closesReceivedOther;
    private final Counter routedClient;
    private final Counter routedAdmin;
    private final Counter resends;
    private final Counter dedupEvicted;
    private final Counter deliveredLocal;
    private final Counter deliveredRelayed;
    private final DistributionSummary fanout;
    private final DeliveryLatency latency;
    /** False for {@link #disabled()}: the delivery latency rows are not even written. */
    private final boolean recording;

    private final Timer relayPublish;
    private final Counter relayReceived;
    private final Counter relayGaps;
    private final Counter relayOutcomeUnknown;
    private final Counter slowConsumers;
    /** Every way a resume ends; the {@code outcome} label of {@link InboxMeters#RESUMES}. */
    public static final List<String> RESUME_OUTCOMES = List.of(
            "recovered",
            "partial",
            "no_position",
            "epoch_changed",
            "beyond_window",
            "too_many",
            "bad_position",
            "not_supported",
            "failed",
            "closed",
            "bad_request",
            "busy");

    private final Map<String, Counter> resumes = new HashMap<>();
    private final Counter resumeReplayed;
    private final Timer resumeDuration;
    private final Counter[] limitHits = new Counter[Limit.values().length];
    private final Counter[] historyReads = new Counter[HistoryOutcome.values().length];
    /** The in-memory history's size and evictions; zero until a single node with history sets them. */
    private volatile java.util.function.LongSupplier historyBytes = () -> 0;

    private volatile java.util.function.LongSupplier historyEvictions = () -> 0;
    /** Typing and read receipts. */
    private final EventMeters events;

    public GatewayMetrics() {
        this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), true);
    }

    /**
     * Every meter a no-op (a registry whose filter denies them all), so the benchmarks can price recording on the
     * hot path by running the same code with and without it.
     */
    public static GatewayMetrics disabled() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(MeterFilter.deny());
        return new GatewayMetrics(registry, false);
    }

    private GatewayMetrics(PrometheusMeterRegistry registry, boolean recording) {
        this.registry = registry;
        this.recording = recording;
        for (HandshakeOutcome o : HandshakeOutcome.values()) {
            handshakes[o.ordinal()] = counter(InboxMeters.HANDSHAKES, o.label());
        }
        for (FrameKind k : FrameKind.values()) {
            frames[k.ordinal()] = counter(InboxMeters.FRAMES_RECEIVED, k.label());
        }
        for (ErrorCode c : ErrorCode.values()) {
            errors[c.ordinal()] = counter(InboxMeters.ERRORS_SENT, c.wireName());
        }
        // Close codes are a closed set on the way out; on the way in, RFC 6455 codes and ours are named, the rest
        // (any 3000-4999 a client may send) is "other", so a client cannot grow the label set.
        for (CloseCode c : CloseCode.values()) {
            closesSent.put(c.code(), counter(InboxMeters.CLOSES_SENT, Integer.toString(c.code())));
        }
        for (int code :
                new int[] {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 4000, 4002, 4501}) {
            closesReceived.put(code, counter(InboxMeters.CLOSES_RECEIVED, Integer.toString(code)));
        }
        closesReceivedOther = counter(InboxMeters.CLOSES_RECEIVED, "other");
        routedClient = counter(InboxMeters.MESSAGES_ROUTED, "client");
        routedAdmin = counter(InboxMeters.MESSAGES_ROUTED, "admin");
        resends = Counter.builder(InboxMeters.RESENDS.meterName())
                .description(InboxMeters.RESENDS.description())
                .register(registry);
        dedupEvicted = Counter.builder(InboxMeters.DEDUP_EVICTED.meterName())
                .description(InboxMeters.DEDUP_EVICTED.description())
                .register(registry);
        deliveredLocal = counter(InboxMeters.DELIVERIES, "local");
        deliveredRelayed = counter(InboxMeters.DELIVERIES, "relayed");
        fanout = DistributionSummary.builder(InboxMeters.FANOUT.meterName())
                .description(InboxMeters.FANOUT.description())
                .serviceLevelObjectives(1, 2, 5, 10, 25, 50, 100, 250, 1000, 10_000)
                .register(registry);
        latency = new DeliveryLatency(
                InboxMeters.DELIVERY_LATENCY.meterName(), InboxMeters.DELIVERY_LATENCY.description(), LATENCY_SLOS);
        registry.getPrometheusRegistry().register(latency);
        relayPublish = Timer.builder(InboxMeters.RELAY_PUBLISH.meterName())
                .description(InboxMeters.RELAY_PUBLISH.description())
                .serviceLevelObjectives(LATENCY_SLOS)
                .register(registry);
        relayReceived = Counter.builder(InboxMeters.RELAY_RECEIVED.meterName())
                .description(InboxMeters.RELAY_RECEIVED.description())
                .register(registry);
        relayGaps = Counter.builder(InboxMeters.RELAY_GAPS.meterName())
                .description(InboxMeters.RELAY_GAPS.description())
                .register(registry);
        relayOutcomeUnknown = Counter.builder(InboxMeters.RELAY_OUTCOME_UNKNOWN.meterName())
                .description(InboxMeters.RELAY_OUTCOME_UNKNOWN.description())
                .register(registry);

        slowConsumers = Counter.builder(InboxMeters.SLOW_CONSUMERS.meterName())
                .description(InboxMeters.SLOW_CONSUMERS.description())
                .register(registry);

        for (String outcome : RESUME_OUTCOMES) {
            resumes.put(outcome, counter(InboxMeters.RESUMES, outcome));
        }
        resumeReplayed = Counter.builder(InboxMeters.RESUME_REPLAYED.meterName())
                .description(InboxMeters.RESUME_REPLAYED.description())
                .register(registry);
        resumeDuration = Timer.builder(InboxMeters.RESUME_DURATION.meterName())
                .description(InboxMeters.RESUME_DURATION.description())
                .serviceLevelObjectives(LATENCY_SLOS)
                .register(registry);

        for (Limit l : Limit.values()) {
            limitHits[l.ordinal()] = counter(InboxMeters.LIMIT_HITS, l.label());
        }
        for (HistoryOutcome o : HistoryOutcome.values()) {
            historyReads[o.ordinal()] = counter(InboxMeters.HISTORY_READS, o.label());
        }
        Gauge.builder(InboxMeters.HISTORY_LOCAL_BYTES.meterName(), () -> historyBytes.getAsLong())
                .description(InboxMeters.HISTORY_LOCAL_BYTES.description())
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder(
                        InboxMeters.HISTORY_LOCAL_EVICTIONS.meterName(), this, m -> m.historyEvictions.getAsLong())
                .description(InboxMeters.HISTORY_LOCAL_EVICTIONS.description())
                .register(registry);

        events = new EventMeters(registry);

        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new NettyAllocatorMetrics(PooledByteBufAllocator.DEFAULT).bindTo(registry);
    }

    private Counter counter(InboxMeters meter, String labelValue) {
        return Counter.builder(meter.meterName())
                .description(meter.description())
                .tag(meter.label(), labelValue)
                .register(registry);
    }

    /** Gauges read from the node's state at scrape time. */
    public void gauges(Supplier<Number> connections, Supplier<Number> users) {
        Gauge.builder(InboxMeters.CONNECTIONS.meterName(), connections)
                .description(InboxMeters.CONNECTIONS.description())
                .register(registry);
        Gauge.builder(InboxMeters.USERS.meterName(), users)
                .description(InboxMeters.USERS.description())
                .register(registry);
    }

    /** The meters of one backend hook; call once per hook. */
    public HookMeters hook(String hook, Supplier<Number> inFlight) {
        return new HookMeters(registry, hook, LATENCY_SLOS, inFlight);
    }

    /** The presence meters, with the subscriptions gauge read from {@code subscriptions}; call once. */
    public PresenceMeters presence(Supplier<Number> subscriptions) {
        return new PresenceMeters(registry, subscriptions);
    }

    /** The meters of typing and read receipts. */
    public EventMeters events() {
        return events;
    }

    /** The outbox's meters, for a clustered node with the outbox on; call once. */
    public OutboxMeters outbox() {
        return new OutboxMeters(registry);
    }

    /** The Redis reachability gauge, for a clustered node. */
    public void redisGauge(Supplier<Number> up) {
        Gauge.builder(InboxMeters.REDIS_UP.meterName(), up)
                .description(InboxMeters.REDIS_UP.description())
                .register(registry);
    }

    /** Pending tasks of each public event loop. */
    public void eventLoops(EventExecutorGroup group) {
        new NettyEventExecutorMetrics(group).bindTo(registry);
    }

    public void handshake(HandshakeOutcome outcome) {
        handshakes[outcome.ordinal()].increment();
    }

    public void frameReceived(FrameKind kind) {
        frames[kind.ordinal()].increment();
    }

    public void errorSent(ErrorCode code) {
        errors[code.ordinal()].increment();
    }

    public void closeSent(int code) {
        Counter c = closesSent.get(code); // boxing of small codes hits the Integer cache: no allocation
        if (c != null) {
            c.increment();
        }
    }

    public void closeReceived(int code) {
        Counter c = closesReceived.get(code);
        (c != null ? c : closesReceivedOther).increment();
    }

    public void messageRouted(boolean fromAdmin) {
        (fromAdmin ? routedAdmin : routedClient).increment();
    }

    /** A resend recognised by its {@code client_msg_id}: acknowledged with the original, not delivered again. */
    public void resendRecognised() {
        resends.increment();
    }

    /** The single node forgot a {@code client_msg_id} before its window ended, to stay within its bound. */
    public void dedupEvicted() {
        dedupEvicted.increment();
    }

    /** One message written to {@code recipients} connections on this node. */
    public void fanout(int recipients) {
        fanout.record(recipients);
    }

    /**
     * Where one event loop records delivery latency (see {@link DeliveryLatency}); each loop takes its own, once.
     */
    public LatencyRecorder latencyRecorder() {
        DeliveryLatency.Row row = recording ? latency.newRow() : null;
        return (relayed, count, latencyNanos) -> {
            if (count == 0) {
                return;
            }
            (relayed ? deliveredRelayed : deliveredLocal).increment(count);
            if (row != null) {
                row.record(relayed, latencyNanos, count);
            }
        };
    }

    /** Records deliveries for one event loop; called on that loop only. */
    @FunctionalInterface
    public interface LatencyRecorder {
        /** {@code count} connections flushed one message, {@code latencyNanos} after it was accepted. */
        void delivered(boolean relayed, int count, long latencyNanos);
    }

    public void relayPublished(long nanos) {
        relayPublish.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One resume ended with {@code outcome} (see {@link InboxMeters#RESUMES}) after {@code replayed} events. */
    public void resumed(String outcome, int replayed, long nanos) {
        resumes.get(outcome).increment();
        resumeReplayed.increment(replayed);
        if (nanos >= 0) {
            resumeDuration.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    public void limitHit(Limit limit) {
        limitHits[limit.ordinal()].increment();
    }

    public void slowConsumerClosed() {
        slowConsumers.increment();
    }

    public void relayReceived() {
        relayReceived.increment();
    }

    /** A history read ended with {@code outcome}. */
    public void historyRead(HistoryOutcome outcome) {
        historyReads[outcome.ordinal()].increment();
    }

    /** Where the in-memory history's gauges read from (a single node with history on). */
    public void localHistory(java.util.function.LongSupplier bytes, java.util.function.LongSupplier evictions) {
        this.historyBytes = bytes;
        this.historyEvictions = evictions;
    }

    /** This node's relay subscription was interrupted. */
    public void relayGap() {
        relayGaps.increment();
    }

    /** An admission's reply was lost with the Redis connection: its sender was told {@code outcome_unknown}. */
    public void relayOutcomeUnknown() {
        relayOutcomeUnknown.increment();
    }

    /** The gauge of admissions waiting on Redis, for a clustered node. */
    public void resumesWaiting(Supplier<Number> waiting) {
        Gauge.builder(InboxMeters.RESUMES_WAITING.meterName(), waiting)
                .description(InboxMeters.RESUMES_WAITING.description())
                .register(registry);
    }

    public void relayWaiting(Supplier<Number> waiting) {
        Gauge.builder(InboxMeters.RELAY_WAITING.meterName(), waiting)
                .description(InboxMeters.RELAY_WAITING.description())
                .register(registry);
    }

    /** The meters in Prometheus text format, or OpenMetrics when {@code accept} asks for it. */
    public String scrape(String accept) {
        return registry.scrape(contentType(accept));
    }

    /** The content type {@link #scrape} answers {@code accept} with. */
    public static String contentType(String accept) {
        return accept != null && accept.contains("application/openmetrics-text")
                ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                : "text/plain; version=0.0.4; charset=utf-8";
    }

    /** For tests of the hot path: the registry itself. */
    MeterRegistry registry() {
        return registry;
    }
}
