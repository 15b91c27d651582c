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

/**
 * What a memory run found: the node's heap after a full GC, its RSS and its direct memory, before and after opening
 * the idle connections, and the difference per connection. Direct memory has two readings that may overlap: the
 * JVM's direct buffer pool ({@code jvm_buffer_memory_used_bytes{id="direct"}}, every {@code ByteBuffer.allocateDirect}
 * including Netty's when it uses the JDK's cleaner) and Netty's pooled allocator meter
 * ({@code netty_allocator_memory_used{memory_type="direct"}}, only the allocator the node registered). RSS is the
 * process as the kernel sees it: heap pages the JVM committed and touched count whether or not they hold live objects.
 *
 * @param nodeConnections the node's {@code inbox_connections} when measured
 * @param wantedConnections the baseline plus the connections this run opened
 */
record MemoryReport(
        LoadOptions options,
        long pid,
        RunTotals totals,
        MemoryRun.Sample before,
        MemoryRun.Sample after,
        long nodeConnections,
        long wantedConnections) {

    double perConnection(double before, double after) {
        return totals.established == 0 ? Double.NaN : (after - before) / totals.established;
    }

    double heapPerConnection() {
        return perConnection(before.heapBytes(), after.heapBytes());
    }

    double rssPerConnection() {
        return perConnection(before.rssBytes(), after.rssBytes());
    }

    double jvmDirectPerConnection() {
        return perConnection(before.jvmDirectBytes(), after.jvmDirectBytes());
    }

    double nettyDirectPerConnection() {
        return perConnection(before.nettyDirectBytes(), after.nettyDirectBytes());
    }

    List<String> failures() {
        List<String> f = new ArrayList<>();
        if (totals.failed() > 0 && !options.allowRefusals()) {
            f.add(totals.failed() + " of " + totals.attempted + " connections failed " + totals.failures);
        }
        if (totals.established == 0) {
            f.add("no connection opened");
        }
        if (totals.closed() > 0) {
            f.add(totals.closed() + " connections closed while measuring, by close code " + totals.closedDuringRun);
        }
        if (nodeConnections != wantedConnections) {
            f.add("the node counted " + nodeConnections + " connections, expected " + wantedConnections
                    + " (another client connected or left meanwhile?)");
        }
        return f;
    }

    boolean passed() {
        return failures().isEmpty();
    }

    void print(PrintStream out) {
        out.printf(
                Locale.ROOT,
                "memory: %d of %d idle connections open on pid %d (handshake ms p50 %s p99 %s)%n",
                totals.established,
                totals.attempted,
                pid,
                ThroughputReport.ms(totals.handshakes, 50),
                ThroughputReport.ms(totals.handshakes, 99));
        out.printf(Locale.ROOT, "%-26s %14s %14s %16s%n", "", "before", "after", "per connection");
        row(out, "heap after full GC", before.heapBytes(), after.heapBytes(), heapPerConnection());
        row(out, "direct (JVM buffer pool)", before.jvmDirectBytes(), after.jvmDirectBytes(), jvmDirectPerConnection());
        row(
                out,
                "direct (Netty allocator)",
                before.nettyDirectBytes(),
                after.nettyDirectBytes(),
                nettyDirectPerConnection());
        row(out, "RSS", before.rssBytes(), after.rssBytes(), rssPerConnection());
        List<String> f = failures();
        out.println(f.isEmpty() ? "PASSED" : "FAILED: " + String.join("; ", f));
    }

    private static void row(PrintStream out, String name, double before, double after, double per) {
        out.printf(Locale.ROOT, "%-26s %14.0f %14.0f %14.0f B%n", name, before, after, per);
    }

    void writeJson(Path file) throws IOException {
        try (JsonGenerator g = new JsonFactory().createGenerator(file.toFile(), JsonEncoding.UTF8)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("mode", "memory");
            g.writeBooleanField("passed", passed());
            g.writeArrayFieldStart("failures");
            for (String s : failures()) {
                g.writeString(s);
            }
            g.writeEndArray();
            g.writeNumberField("pid", pid);
            g.writeObjectFieldStart("connections");
            g.writeNumberField("attempted", totals.attempted);
            g.writeNumberField("established", totals.established);
            ThroughputReport.map(g, "failed", totals.failures);
            ThroughputReport.map(g, "closed_during_run", totals.closedDuringRun);
            g.writeNumberField("node_count", nodeConnections);
            ThroughputReport.percentiles(g, "handshake_ms", totals.handshakes, false);
            g.writeEndObject();
            sample(g, "before", before);
            sample(g, "after", after);
            g.writeObjectFieldStart("per_connection_bytes");
            ThroughputReport.number(g, "heap", heapPerConnection());
            ThroughputReport.number(g, "jvm_direct", jvmDirectPerConnection());
            ThroughputReport.number(g, "netty_direct", nettyDirectPerConnection());
            ThroughputReport.number(g, "rss", rssPerConnection());
            g.writeEndObject();
            g.writeEndObject();
        }
    }

    private static void sample(JsonGenerator g, String name, MemoryRun.Sample s) throws IOException {
        g.writeObjectFieldStart(name);
        g.writeNumberField("heap_bytes", s.heapBytes());
        ThroughputReport.number(g, "jvm_direct_bytes", s.jvmDirectBytes());
        ThroughputReport.number(g, "netty_direct_bytes", s.nettyDirectBytes());
        g.writeNumberField("rss_bytes", s.rssBytes());
        g.writeNumberField("node_connections", s.connections());
        g.writeEndObject();
    }
}
