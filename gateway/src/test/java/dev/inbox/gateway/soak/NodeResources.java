package dev.inbox.gateway.soak;

import dev.inbox.testkit.GatewayProcess;
import dev.inbox.testkit.NodeProcess;
import dev.inbox.testkit.PrometheusText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What one gateway process holds, measured from outside it right after a full GC: heap still used (old generation and
 * survivors; eden only holds what the scrape itself allocated), direct memory (the JDK's direct buffer pool, which
 * Netty's buffers live in on this JDK, and what Netty's default allocator reports), threads and file descriptors
 * (from {@code /proc}, with their names and kinds so a difference can be explained).
 *
 * @param heapAfterGc  bytes of heap in use after {@code jcmd GC.run}
 * @param jdkDirect    {@code jvm_buffer_memory_used_bytes{id="direct"}}
 * @param nettyDirect  {@code netty_allocator_memory_used{memory_type="direct"}}: chunks the allocator holds
 * @param threads      {@code Threads:} of {@code /proc/<pid>/status}
 * @param fds          entries of {@code /proc/<pid>/fd}
 * @param threadNames  thread names with digits folded to {@code #}, counted
 * @param fdKinds      descriptor kinds (socket, eventpoll, eventfd, pipe, file), counted
 */
record NodeResources(
        long heapAfterGc,
        long jdkDirect,
        long nettyDirect,
        int threads,
        int fds,
        Map<String, Integer> threadNames,
        Map<String, Integer> fdKinds) {

    /** Runs a full GC in the node ({@code jcmd <pid> GC.run}), then measures it. */
    static NodeResources measureAfterGc(GatewayProcess node) {
        try {
            new NodeProcess(node.pid()).fullGc();
            return read(node.pid(), node.metrics());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(node.name() + ": cannot measure", e);
        }
    }

    static NodeResources read(long pid, PrometheusText metrics) throws IOException {
        double heap = metrics.sum("jvm_memory_used_bytes", new String[] {"area=\"heap\""}, "Eden");
        double jdkDirect = metrics.sum("jvm_buffer_memory_used_bytes", new String[] {"id=\"direct\""});
        double nettyDirect = metrics.sum("netty_allocator_memory_used", new String[] {"memory_type=\"direct\""});
        int threads = 0;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("Threads:")) {
                threads = Integer.parseInt(line.substring("Threads:".length()).trim());
            }
        }
        Map<String, Integer> names = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    names.merge(Files.readString(t.resolve("comm")).trim().replaceAll("[0-9]+", "#"), 1, Integer::sum);
                } catch (IOException e) {
                    // the thread ended while we listed them
                }
            }
        }
        Map<String, Integer> kinds = new TreeMap<>();
        int fds = 0;
        try (Stream<Path> list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : (Iterable<Path>) list::iterator) {
                try {
                    kinds.merge(kind(Files.readSymbolicLink(fd).toString()), 1, Integer::sum);
                    fds++;
                } catch (IOException e) {
                    // closed while we listed them
                }
            }
        }
        return new NodeResources(
                finite(heap, "heap"),
                finite(jdkDirect, "direct buffer pool"),
                finite(nettyDirect, "netty allocator"),
                threads,
                fds,
                names,
                kinds);
    }

    private static long finite(double v, String what) {
        if (Double.isNaN(v)) {
            throw new AssertionError("/metrics has no " + what + " meter");
        }
        return (long) v;
    }

    private static String kind(String target) {
        if (target.startsWith("socket:")) {
            return "socket";
        }
        if (target.startsWith("pipe:")) {
            return "pipe";
        }
        if (target.startsWith("anon_inode:")) {
            return target.substring("anon_inode:".length()).replace("[", "").replace("]", "");
        }
        return target.startsWith("/dev/") ? "device" : "file";
    }

    /**
     * Thread pools that start a thread only when they first need it, up to a fixed size, and keep it: a thread of
     * theirs that appears after the baseline is a pool filling up, not growth. Lettuce's computation and I/O pools
     * (as many threads as cores; each reconnect is scheduled on the next one, and the new connection registers on
     * the next I/O loop) and the JVM's compiler and GC workers. Names as {@code /proc} shows them: 15 characters,
     * digits folded to {@code #}.
     */
    static final Pattern LAZY_POOLS =
            Pattern.compile("lettuce-eventEx|lettuce-nioEven|C# CompilerThre|GC Thread##*|G# Conc##*|G# Refine##*");

    /** Threads outside {@link #LAZY_POOLS}. */
    int countedThreads() {
        int n = 0;
        for (Map.Entry<String, Integer> e : threadNames.entrySet()) {
            if (!LAZY_POOLS.matcher(e.getKey()).matches()) {
                n += e.getValue();
            }
        }
        return n;
    }

    /** Why {@code after} is not back to this baseline, within the margins; empty when it is. */
    List<String> exceededBy(NodeResources after, SoakSettings s) {
        List<String> out = new ArrayList<>();
        if (after.heapAfterGc - heapAfterGc > s.heapMargin()) {
            out.add("heap after GC grew " + kib(after.heapAfterGc - heapAfterGc) + " KiB (margin " + kib(s.heapMargin())
                    + " KiB)");
        }
        if (after.jdkDirect - jdkDirect > s.directMargin()) {
            out.add("direct buffer pool grew " + kib(after.jdkDirect - jdkDirect) + " KiB (margin "
                    + kib(s.directMargin()) + " KiB)");
        }
        if (after.nettyDirect - nettyDirect > s.directMargin()) {
            out.add("Netty allocator direct memory grew " + kib(after.nettyDirect - nettyDirect) + " KiB (margin "
                    + kib(s.directMargin()) + " KiB)");
        }
        if (after.countedThreads() - countedThreads() > s.threadMargin()) {
            out.add("threads outside the lazily started pools grew by " + (after.countedThreads() - countedThreads())
                    + " (margin " + s.threadMargin() + "): " + difference(threadNames, after.threadNames));
        }
        if (after.fds - fds > s.fdMargin()) {
            out.add("file descriptors grew by " + (after.fds - fds) + " (margin " + s.fdMargin() + "): "
                    + difference(fdKinds, after.fdKinds));
        }
        return out;
    }

    /** What changed between two name counts, such as {@code +lettuce-eventExecutorLoop-#-# -C# CompilerThread#}. */
    static String difference(Map<String, Integer> before, Map<String, Integer> after) {
        Map<String, Integer> delta = new TreeMap<>();
        after.forEach((k, n) -> delta.merge(k, n, Integer::sum));
        before.forEach((k, n) -> delta.merge(k, -n, Integer::sum));
        StringBuilder b = new StringBuilder();
        delta.forEach((k, n) -> {
            if (n != 0) {
                b.append(b.length() == 0 ? "" : ", ")
                        .append(n > 0 ? "+" : "")
                        .append(n)
                        .append(' ')
                        .append(k);
            }
        });
        return b.length() == 0 ? "same kinds" : b.toString();
    }

    static long kib(long bytes) {
        return bytes >> 10;
    }
}
