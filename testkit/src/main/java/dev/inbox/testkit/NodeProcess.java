package dev.inbox.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A gateway JVM on this machine, seen from outside: CPU time and RSS from {@code /proc/<pid>} (Linux), a full GC
 * and the heap in use after it through {@code jcmd} (the JDK's, next to the running {@code java}). Reading
 * {@code /proc} costs the node nothing, unlike a scrape of its {@code /metrics}. Used by the load generator and the
 * soak run alike.
 */
public final class NodeProcess {
    /** {@code used 14255K} in {@code GC.heap_info}, for every collector's top-level heap lines. */
    private static final Pattern USED = Pattern.compile("\\bused (\\d+)([KMG])\\b");

    private final long pid;
    private final long ticksPerSecond;

    public NodeProcess(long pid) {
        this.pid = pid;
        this.ticksPerSecond = clockTicks();
    }

    public long pid() {
        return pid;
    }

    /** User plus system CPU time so far, in nanoseconds (resolution one clock tick, usually 10 ms). */
    public long cpuNanos() throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
        return ticksOf(stat) * 1_000_000_000L / ticksPerSecond;
    }

    /** utime plus stime of a {@code stat} line (a process's or a thread's), in clock ticks. */
    private static long ticksOf(String stat) {
        // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, utime 14, stime
        // 15.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /**
     * CPU time so far of each of the JVM's JIT compiler threads ({@code C1}/{@code C2 CompilerThread}, by the names
     * HotSpot gives them in {@code /proc/<pid>/task/<tid>/comm}), in nanoseconds by thread id. Compiler threads come
     * and go, so compare two readings with {@link #cpuBetween}.
     */
    public Map<Long, Long> jitThreadCpuNanos() throws IOException {
        Map<Long, Long> out = new HashMap<>();
        for (Path task : threads(pid, n -> n.startsWith("C1 CompilerThre") || n.startsWith("C2 CompilerThre"))) {
            try {
                String stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
                out.put(Long.parseLong(task.getFileName().toString()), ticksOf(stat) * 1_000_000_000L / ticksPerSecond);
            } catch (NoSuchFileException e) {
                // the thread ended since it was listed
            }
        }
        return out;
    }

    /**
     * The {@code /proc/<pid>/task/<tid>} directories of the threads of {@code pid} whose name ({@code comm}) passes
     * {@code name}; a thread may end before its files are read ({@link NoSuchFileException}).
     */
    public static List<Path> threads(long pid, Predicate<String> name) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    if (name.test(Files.readString(task.resolve("comm"), StandardCharsets.US_ASCII))) {
                        out.add(task);
                    }
                } catch (NoSuchFileException e) {
                    // the thread ended between the listing and the read
                }
            }
        }
        return out;
    }

    /**
     * CPU time spent between two readings of {@link #jitThreadCpuNanos}: by the threads in both, and all of a thread's
     * time that started in between (what one that ended in between spent after the first reading is not seen).
     */
    public static long cpuBetween(Map<Long, Long> before, Map<Long, Long> after) {
        long sum = 0;
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            sum += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        return sum;
    }

    /** Resident set size, from {@code VmRSS} in {@code /proc/<pid>/status}. */
    public long rssBytes() throws IOException {
        for (String line :
                Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.US_ASCII)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS in /proc/" + pid + "/status");
    }

    /** A full, stop-the-world collection ({@code jcmd <pid> GC.run}, i.e. {@code System.gc()}); blocks until done. */
    public void fullGc() throws IOException, InterruptedException {
        jcmd("GC.run");
    }

    /** Heap in use, from {@code jcmd <pid> GC.heap_info}: kilobyte resolution, and unlike a scrape it runs no Java code there. */
    public long heapUsedBytes() throws IOException, InterruptedException {
        return parseHeapUsed(jcmd("GC.heap_info"));
    }

    static long parseHeapUsed(String heapInfo) throws IOException {
        long total = 0;
        boolean found = false;
        for (String line : heapInfo.split("\n")) {
            if (line.contains("Metaspace") || line.contains("class space")) {
                continue;
            }
            Matcher m = USED.matcher(line);
            if (m.find()) {
                long v = Long.parseLong(m.group(1));
                total += switch (m.group(2)) {
                    case "K" -> v << 10;
                    case "M" -> v << 20;
                    default -> v << 30;
                };
                found = true;
            }
        }
        if (!found) {
            throw new IOException("no heap figure in GC.heap_info:\n" + heapInfo);
        }
        return total;
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) {
            throw new IOException(jcmd + " not found: memory mode needs a JDK, not a JRE");
        }
        Process p = new ProcessBuilder(List.of(jcmd.toString(), Long.toString(pid), command))
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("jcmd " + pid + " " + command + " did not finish within 60 s");
        }
        if (p.exitValue() != 0) {
            throw new IOException("jcmd " + pid + " " + command + " failed (" + p.exitValue() + "): " + out.strip());
        }
        return out;
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK")
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            p.waitFor(5, TimeUnit.SECONDS);
            return Long.parseLong(out);
        } catch (IOException | NumberFormatException e) {
            return 100; // the Linux default (USER_HZ)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
