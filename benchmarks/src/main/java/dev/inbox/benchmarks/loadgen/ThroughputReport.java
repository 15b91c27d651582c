package dev.inbox.benchmarks.loadgen;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What a throughput run found: connections, messages, deliveries (expected, received, lost, duplicated), rate,
 * latency, and the CPU both sides spent; printed as a table and written as JSON. A run passes when nothing was lost,
 * duplicated or misrouted, no connection closed under it, every message was sent, and (unless
 * {@code --allow-refusals}) nothing was refused.
 *
 * @param warmupSeconds     how long the warm-up lasted: {@code --warmup}, or longer waiting for the JIT
 * @param jitQuiet          whether the measured window began because the nodes' JIT was quiet ({@code --warmup-max})
 * @param measuredSeconds   length of the measured window
 * @param cpu               CPU both sides spent in the measured window, and their waits for a CPU
 * @param gatewayDeliveries {@code inbox_deliveries_total} over the whole run by the node(s)' own count, or -1
 */
record ThroughputReport(
        LoadOptions options,
        RunTotals totals,
        double warmupSeconds,
        boolean jitQuiet,
        double measuredSeconds,
        CpuUse cpu,
        long gatewayDeliveries) {
    /** Past this share of the window spent waiting for a CPU, the report warns that the machine is oversubscribed. */
    static final double OVERSUBSCRIBED = 0.05;

    long lost() {
        return totals.counts.lost(totals.expected);
    }

    long duplicated() {
        return totals.counts.duplicated;
    }

    double deliveriesPerSecond() {
        return totals.deliveriesMeasured / measuredSeconds;
    }

    /** The share of the window the event loops spent ready to run but waiting for a CPU (0 when unknown). */
    double loopWaitShare() {
        return cpu.loopWaitNanos() < 0 ? 0 : cpu.loopWaitNanos() / 1e9 / measuredSeconds / options.threads();
    }

    /** Microseconds of {@code cpuNanos} per delivery in the measured window, or NaN. */
    double perDelivery(long cpuNanos) {
        return cpuNanos < 0 || totals.deliveriesMeasured == 0 ? Double.NaN : cpuNanos / 1e3 / totals.deliveriesMeasured;
    }

    /** Gateway CPU microseconds per delivery in the measured window, or NaN. */
    double gatewayCpuMicrosPerDelivery() {
        return perDelivery(cpu.gatewayNanos());
    }

    List<String> failures() {
        RunTotals t = totals;
        List<String> f = new ArrayList<>();
        if (t.failed() > 0 && !options.allowRefusals()) {
            f.add(t.failed() + " of " + t.attempted + " connections failed " + t.failures);
        }
        if (t.established == 0) {
            f.add("no connection opened");
        }
        if (t.closed() > 0) {
            f.add(t.closed() + " connections closed during the run, by close code " + t.closedDuringRun);
        }
        if (t.sent == 0 && t.established > 0) {
            f.add("no message was sent");
        }
        if (lost() > 0) {
            f.add(lost() + " deliveries lost");
        }
        if (duplicated() > 0) {
            f.add(duplicated() + " deliveries duplicated (or out of order)");
        }
        if (t.counts.surplus(t.expected) > 0) {
            f.add(t.counts.surplus(t.expected) + " deliveries more than expected (messages delivered though refused)");
        }
        if (t.counts.misrouted > 0) {
            f.add(t.counts.misrouted + " deliveries to a connection outside the message's conversation");
        }
        if (t.refused() > 0 && !options.allowRefusals()) {
            f.add(t.refused() + " messages refused by the gateway " + t.refusals);
        }
        if (t.unanswered() > 0) {
            f.add(t.unanswered() + " messages got neither their acknowledgement nor an error within --drain");
        }
        if (t.backlogSkipped > 0) {
            f.add(t.backlogSkipped + " messages not sent: the connection's outbound buffer was over 64 KiB"
                    + " (the gateway stopped reading it)");
        }
        if (t.unsentClosed > 0) {
            f.add(t.unsentClosed + " messages not sent: their connection had closed");
        }
        if (t.malformed > 0) {
            f.add(t.malformed + " frames the load generator could not read");
        }
        if (t.errors > 0) {
            f.add(t.errors + " connection errors (first: " + t.firstError + ")");
        }
        return f;
    }

    boolean passed() {
        return failures().isEmpty();
    }

    void print(PrintStream out) {
        RunTotals t = totals;
        LoadOptions o = options;
        out.printf(
                Locale.ROOT,
                "scenario %s: %d users, %s, %d connection(s) each, %d node(s), %d thread(s) on %s%n",
                o.scenario().flagValue,
                o.users(),
                switch (o.scenario()) {
                    case DM -> "conversations of 2";
                    case GROUP -> "groups of " + o.groupSize();
                    case MIXED -> "groups of " + o.groupSize() + ", 5 TYPING and 1 READ per message";
                    case BROADCAST -> "one conversation, " + o.senders() + " sender(s)";
                },
                o.connectionsPerUser(),
                o.nodes().size(),
                o.threads(),
                o.epoll() ? "epoll" : "nio");
        out.printf(
                Locale.ROOT,
                "offered    %.0f msgs/s over %d sending connections (%.2f msgs/s each); warm-up %.1fs%s,"
                        + " measured %ss%n",
                o.rate(),
                t.senders,
                t.senders == 0 ? 0 : o.rate() / t.senders,
                warmupSeconds,
                o.warmupMax().compareTo(o.warmup()) <= 0
                        ? ""
                        : jitQuiet ? " (until the nodes' JIT was quiet)" : " (--warmup-max; the JIT still busy)",
                o.duration().toMillis() / 1e3);
        out.printf(
                Locale.ROOT,
                "connections %d of %d open; handshake ms p50 %s p90 %s p99 %s max %s%s%n",
                t.established,
                t.attempted,
                ms(t.handshakes, 50),
                ms(t.handshakes, 90),
                ms(t.handshakes, 99),
                ms(t.handshakes.getMaxValue()),
                t.failed() == 0 ? "" : "; failed " + t.failures);
        out.printf(
                Locale.ROOT,
                "messages   sent %d (measured %d), acknowledged %d, refused %d%s, unanswered %d%n",
                t.sent,
                t.sentMeasured,
                t.acked,
                t.refused(),
                t.refused() == 0 ? "" : " " + t.refusals + " (" + t.refusedMeasured + " in the measured window)",
                t.unanswered());
        out.printf(
                Locale.ROOT,
                "deliveries expected %d, received %d, lost %d, duplicated %d%n",
                t.expected,
                t.counts.received,
                lost(),
                duplicated());
        out.printf(
                Locale.ROOT,
                "rate       %.0f deliveries/s in the measured window (%d)%n",
                deliveriesPerSecond(),
                t.deliveriesMeasured);
        out.printf(
                Locale.ROOT,
                "latency ms p50 %s p90 %s p99 %s p99.9 %s max %s (%d deliveries, from intended send time)%n",
                ms(t.latency, 50),
                ms(t.latency, 90),
                ms(t.latency, 99),
                ms(t.latency, 99.9),
                ms(t.latency.getMaxValue()),
                t.latency.getTotalCount());
        out.printf(
                Locale.ROOT,
                "gateway    CPU %s us/delivery%s%s%n",
                !Double.isNaN(gatewayCpuMicrosPerDelivery())
                        ? String.format(Locale.ROOT, "%.2f", gatewayCpuMicrosPerDelivery())
                        : o.nodePids().isEmpty()
                                        && o.admins().size() != o.nodes().size()
                                ? "unknown (pass --node-pid, or one --admin per node)"
                                : "not measured",
                cpu.gatewayNanos() < 0
                        ? ""
                        : String.format(
                                Locale.ROOT,
                                " (%.0f%% of one core, from %s)",
                                100.0 * cpu.gatewayNanos() / 1e9 / measuredSeconds,
                                cpu.gatewaySource()),
                gatewayDeliveries < 0 ? "" : "; its own delivery count " + gatewayDeliveries);
        if (cpu.gatewayJitNanos() >= 0 && cpu.gatewayNanos() > 0) {
            out.printf(
                    Locale.ROOT,
                    "           of which the JIT compilers %.0f%% (%.2f us/delivery without them)%n",
                    100.0 * cpu.gatewayJitNanos() / cpu.gatewayNanos(),
                    perDelivery(cpu.gatewayNanos() - cpu.gatewayJitNanos()));
        }
        if (cpu.ownNanos() < 0) {
            out.println("loadgen    not measured");
        } else {
            out.printf(
                    Locale.ROOT,
                    "loadgen    CPU %.0f%% of one core (%.2f us/delivery; event loops %.2f); send lag max %s ms,"
                            + " mean %s ms%n",
                    100.0 * cpu.ownNanos() / 1e9 / measuredSeconds,
                    perDelivery(cpu.ownNanos()),
                    perDelivery(cpu.loopNanos()),
                    ms(t.maxLagNanos),
                    t.sent == 0 ? "0" : ms(t.lagSumNanos / t.sent));
        }
        if (loopWaitShare() > OVERSUBSCRIBED) {
            out.printf(
                    Locale.ROOT,
                    "WARNING    the load generator's event loops were ready to run but waiting for a CPU"
                            + " %.0f%% of the window%s: the machine is oversubscribed, so rate and latency measure"
                            + " the contention, not the gateway alone%n",
                    100 * loopWaitShare(),
                    cpu.gatewayWaitNanos() < 0
                            ? ""
                            : String.format(
                                    Locale.ROOT,
                                    " (the gateway's threads %.1f s in all)",
                                    cpu.gatewayWaitNanos() / 1e9));
        }
        List<String> f = failures();
        out.println(f.isEmpty() ? "PASSED" : "FAILED: " + String.join("; ", f));
    }

    void writeJson(Path file) throws IOException {
        RunTotals t = totals;
        try (JsonGenerator g = new JsonFactory().createGenerator(file.toFile(), JsonEncoding.UTF8)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("mode", "throughput");
            g.writeBooleanField("passed", passed());
            g.writeArrayFieldStart("failures");
            for (String s : failures()) {
                g.writeString(s);
            }
            g.writeEndArray();

            g.writeObjectFieldStart("config");
            g.writeStringField("scenario", options.scenario().flagValue);
            g.writeNumberField("users", options.users());
            g.writeNumberField("group_size", options.groupSize());
            g.writeNumberField("senders", options.senders());
            g.writeNumberField("connections_per_user", options.connectionsPerUser());
            g.writeNumberField("rate_msgs_per_s", options.rate());
            g.writeNumberField("message_chars", options.messageChars());
            g.writeNumberField("warmup_s", options.warmup().toMillis() / 1e3);
            g.writeNumberField("warmup_max_s", options.warmupMax().toMillis() / 1e3);
            g.writeNumberField("duration_s", options.duration().toMillis() / 1e3);
            g.writeNumberField("threads", options.threads());
            g.writeStringField("transport", options.epoll() ? "epoll" : "nio");
            g.writeArrayFieldStart("nodes");
            for (var n : options.nodes()) {
                g.writeString(n.toString());
            }
            g.writeEndArray();
            g.writeStringField("auth", options.dev() ? "dev" : "jwt");
            g.writeEndObject();

            g.writeObjectFieldStart("window");
            g.writeNumberField("warmup_s", warmupSeconds);
            g.writeBooleanField("jit_quiet", jitQuiet);
            g.writeNumberField("measured_s", measuredSeconds);
            g.writeEndObject();

            g.writeObjectFieldStart("connections");
            g.writeNumberField("attempted", t.attempted);
            g.writeNumberField("established", t.established);
            map(g, "failed", t.failures);
            map(g, "closed_during_run", t.closedDuringRun);
            percentiles(g, "handshake_ms", t.handshakes, false);
            g.writeEndObject();

            g.writeObjectFieldStart("messages");
            g.writeNumberField("sending_connections", t.senders);
            g.writeNumberField("sent", t.sent);
            g.writeNumberField("sent_measured", t.sentMeasured);
            g.writeNumberField("acknowledged", t.acked);
            g.writeNumberField("refused", t.refused());
            map(g, "refused_by_code", t.refusals);
            g.writeNumberField("refused_in_window", t.refusedMeasured);
            g.writeNumberField("unanswered", t.unanswered());
            g.writeNumberField("not_sent_backlog", t.backlogSkipped);
            g.writeNumberField("not_sent_closed", t.unsentClosed);
            g.writeEndObject();

            g.writeObjectFieldStart("deliveries");
            g.writeNumberField("expected", t.expected);
            g.writeNumberField("received", t.counts.received);
            g.writeNumberField("unique", t.counts.unique);
            g.writeNumberField("lost", lost());
            g.writeNumberField("duplicated", duplicated());
            g.writeNumberField("surplus", t.counts.surplus(t.expected));
            g.writeNumberField("misrouted", t.counts.misrouted);
            g.writeNumberField("gap_seqs", t.counts.gapSeqs);
            g.writeNumberField("measured", t.deliveriesMeasured);
            g.writeNumberField("per_second", deliveriesPerSecond());
            g.writeNumberField("unreadable_frames", t.malformed);
            g.writeNumberField("other_frames", t.otherFrames);
            g.writeNumberField("typing_sent", t.typingSent);
            g.writeNumberField("reads_sent", t.readsSent);
            g.writeNumberField("read_events", t.readEvents);
            g.writeEndObject();

            percentiles(g, "latency_ms", t.latency, true);

            g.writeObjectFieldStart("gateway");
            if (cpu.gatewayNanos() >= 0) {
                g.writeNumberField("cpu_s", cpu.gatewayNanos() / 1e9);
                g.writeNumberField("cpu_percent_of_one_core", 100.0 * cpu.gatewayNanos() / 1e9 / measuredSeconds);
                number(g, "cpu_us_per_delivery", gatewayCpuMicrosPerDelivery());
                g.writeStringField("cpu_source", cpu.gatewaySource());
                if (cpu.gatewayJitNanos() >= 0) {
                    g.writeNumberField("jit_cpu_s", cpu.gatewayJitNanos() / 1e9);
                    number(
                            g,
                            "cpu_us_per_delivery_without_jit",
                            perDelivery(cpu.gatewayNanos() - cpu.gatewayJitNanos()));
                }
            } else {
                g.writeNullField("cpu_us_per_delivery");
            }
            if (cpu.gatewayWaitNanos() >= 0) {
                g.writeNumberField("threads_waiting_for_cpu_s", cpu.gatewayWaitNanos() / 1e9);
            }
            if (gatewayDeliveries >= 0) {
                g.writeNumberField("deliveries_metric", gatewayDeliveries);
            }
            g.writeEndObject();

            g.writeObjectFieldStart("load_generator");
            if (cpu.ownNanos() >= 0) {
                g.writeNumberField("cpu_s", cpu.ownNanos() / 1e9);
                g.writeNumberField("cpu_percent_of_one_core", 100.0 * cpu.ownNanos() / 1e9 / measuredSeconds);
            }
            number(g, "cpu_us_per_delivery", perDelivery(cpu.ownNanos()));
            number(g, "event_loop_cpu_us_per_delivery", perDelivery(cpu.loopNanos()));
            if (cpu.loopWaitNanos() >= 0) {
                g.writeNumberField("event_loops_waiting_for_cpu_share", loopWaitShare());
            }
            g.writeNumberField("send_lag_max_ms", t.maxLagNanos / 1e6);
            g.writeNumberField("send_lag_mean_ms", t.sent == 0 ? 0 : t.lagSumNanos / 1e6 / t.sent);
            g.writeEndObject();
            g.writeEndObject();
        }
    }

    static void map(JsonGenerator g, String name, Map<String, Long> m) throws IOException {
        g.writeObjectFieldStart(name);
        for (Map.Entry<String, Long> e : m.entrySet()) {
            g.writeNumberField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
    }

    static void percentiles(JsonGenerator g, String name, Histogram h, boolean withTail) throws IOException {
        g.writeObjectFieldStart(name);
        g.writeNumberField("count", h.getTotalCount());
        g.writeNumberField("p50", h.getValueAtPercentile(50) / 1e6);
        g.writeNumberField("p90", h.getValueAtPercentile(90) / 1e6);
        g.writeNumberField("p99", h.getValueAtPercentile(99) / 1e6);
        if (withTail) {
            g.writeNumberField("p99_9", h.getValueAtPercentile(99.9) / 1e6);
            g.writeNumberField("mean", h.getMean() / 1e6);
        }
        g.writeNumberField("max", h.getMaxValue() / 1e6);
        g.writeEndObject();
    }

    /** NaN (unknown, or a meter the node does not have) as null: JSON has no NaN. */
    static void number(JsonGenerator g, String name, double v) throws IOException {
        if (Double.isNaN(v)) {
            g.writeNullField(name);
        } else {
            g.writeNumberField(name, v);
        }
    }

    static String ms(Histogram h, double percentile) {
        return ms(h.getValueAtPercentile(percentile));
    }

    static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }
}
