package dev.inbox.benchmarks.loadgen;

import dev.inbox.testkit.NodeProcess;
import dev.inbox.testkit.PrometheusText;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Memory per connection: measure the node after a full GC (RSS once it has settled), open {@code --connections} idle authenticated
 * connections, wait until the node counts them all, measure again after a full GC, and divide the differences by the
 * connections opened. Users get {@code --connections-per-user} connections each (keep it within the node's
 * {@code --max-connections-per-user}).
 */
final class MemoryRun {
    /** How long the node may take to count connections the client already sees as open. */
    private static final long COUNT_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** RSS is read until two readings this far apart differ by less than {@link #RSS_STEADY_BYTES}. */
    private static final long RSS_READ_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private static final long RSS_STEADY_BYTES = 64 * 1024;
    /** ... for at most this long; then the last reading stands. */
    private static final long RSS_SETTLE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final LoadOptions o;
    private final PrintStream log;
    private final AdminClient admin;
    private final NodeProcess node;
    private final URI adminUri;

    MemoryRun(LoadOptions options, PrintStream log) {
        this.o = options;
        this.log = log;
        this.admin = new AdminClient(options.apiKey());
        this.node = new NodeProcess(options.nodePids().get(0));
        this.adminUri = options.admins().get(0);
    }

    /** One reading of the node. */
    record Sample(long heapBytes, long rssBytes, double jvmDirectBytes, double nettyDirectBytes, long connections) {}

    MemoryReport run() throws IOException, InterruptedException {
        Sample before = sample();
        log.printf(
                "baseline: heap %d B, RSS %d B, %d connections on the node%n",
                before.heapBytes(), before.rssBytes(), before.connections());
        try (ConnectionFleet fleet = new ConnectionFleet(o)) {
            LoadWorker[] workers = fleet.workers();
            log.printf("opening %d idle connections%n", o.connections());
            for (int i = 0; i < o.connections(); i++) {
                fleet.connect(workers[i % workers.length], null, -1, i / o.connectionsPerUser());
            }
            fleet.awaitSettled();
            RunTotals opened = fleet.totals();
            long wanted = before.connections() + opened.established;
            long deadline = System.nanoTime() + COUNT_WAIT_NANOS;
            long seen;
            while ((seen = nodeConnections()) != wanted && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
            Sample after = sample();
            RunTotals end = fleet.totals();
            return new MemoryReport(o, node.pid(), end, before, after, seen, wanted);
        }
    }

    private Sample sample() throws IOException, InterruptedException {
        node.fullGc();
        long heap = node.heapUsedBytes();
        long rss = settledRss();
        PrometheusText m = admin.metrics(adminUri);
        return new Sample(
                heap,
                rss,
                m.sum("jvm_buffer_memory_used_bytes", "id=\"direct\""),
                m.sum("netty_allocator_memory_used", "memory_type=\"direct\""),
                (long) m.sum("inbox_connections", ""));
    }

    /**
     * The node's RSS once it has given back what the full GC freed: G1 uncommits freed regions concurrently (JDK 17),
     * so a reading right after the collection can still count regions on their way back to the kernel.
     */
    private long settledRss() throws IOException {
        long start = System.nanoTime();
        long first = node.rssBytes();
        long last = first;
        while (System.nanoTime() - start < RSS_SETTLE_NANOS) {
            LockSupport.parkNanos(RSS_READ_EVERY_NANOS);
            long now = node.rssBytes();
            boolean steady = Math.abs(now - last) < RSS_STEADY_BYTES;
            last = now;
            if (steady) {
                break;
            }
        }
        log.printf(
                "RSS right after the collection %d B, settled %d B after %d ms%n",
                first, last, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return last;
    }

    private long nodeConnections() throws IOException, InterruptedException {
        return (long) admin.metrics(adminUri).sum("inbox_connections", "");
    }
}
