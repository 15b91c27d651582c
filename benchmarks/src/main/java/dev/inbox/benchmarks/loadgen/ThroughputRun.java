package dev.inbox.benchmarks.loadgen;

import dev.inbox.testkit.NodeProcess;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A throughput run, in order: set membership through the admin API, open every connection, send on the open-model
 * schedule through warm-up and the measured window (sampling CPU at the window's edges), wait up to {@code --drain}
 * for what is still in flight, then add up. Runs on the calling thread, which only waits and samples; all network
 * work is on the load generator's event loops.
 */
final class ThroughputRun {
    /** Lets every loop have its first tick scheduled before message 0 is due. */
    private static final long START_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private static final long DRAIN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /** With --warmup-max: the JIT is quiet when each node's compiler threads used under this share of a core... */
    static final double JIT_QUIET_SHARE = 0.05;
    /** ... over this long (the clock tick /proc counts in is 10 ms, so 2 s resolve 1%). */
    private static final long JIT_QUIET_NANOS = TimeUnit.SECONDS.toNanos(2);

    private static final long JIT_SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** How far ahead a moved window starts: time for every loop to take the move before it begins. */
    private static final long WINDOW_MOVE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final LoadOptions o;
    private final PrintStream log;
    private final AdminClient admin;
    private final List<NodeProcess> processes = new ArrayList<>();

    ThroughputRun(LoadOptions options, PrintStream log) {
        this.o = options;
        this.log = log;
        this.admin = new AdminClient(options.apiKey());
        for (long pid : options.nodePids()) {
            processes.add(new NodeProcess(pid));
        }
    }

    ThroughputReport run() throws InterruptedException, IOException {
        List<ConversationPlan> plan = o.scenario().plan(o.users(), o.groupSize(), o.senders());
        // One membership store serves every node (in-memory: one node; clustered: Redis), so the first admin URL.
        log.printf(
                "setting members of %d conversations through %s%n",
                plan.size(), o.admins().get(0));
        admin.setMembers(o.admins().get(0), plan);
        long deliveriesBefore = gatewayDeliveries();

        try (ConnectionFleet fleet = new ConnectionFleet(o)) {
            LoadWorker[] workers = fleet.workers();
            List<ConversationState> states = new ArrayList<>(plan.size());
            for (int k = 0; k < plan.size(); k++) {
                states.add(workers[k % workers.length].conversation(plan.get(k), o.connectionsPerUser()));
            }
            int total = o.users() * o.connectionsPerUser();
            log.printf("opening %d connections%n", total);
            for (int k = 0; k < plan.size(); k++) {
                ConversationPlan c = plan.get(k);
                for (int m = 0; m < c.members(); m++) {
                    for (int j = 0; j < o.connectionsPerUser(); j++) {
                        fleet.connect(
                                workers[k % workers.length],
                                states.get(k),
                                m * o.connectionsPerUser() + j,
                                c.firstUser() + m);
                    }
                }
            }
            fleet.awaitSettled();
            RunTotals connected = fleet.totals();
            log.printf(
                    "%d of %d connections open%s%n",
                    connected.established, total, connected.failed() == 0 ? "" : ", failed: " + connected.failures);
            if (connected.established == 0 || (connected.failed() > 0 && !o.allowRefusals())) {
                return new ThroughputReport(
                        o,
                        connected,
                        o.warmup().toMillis() / 1e3,
                        false,
                        o.duration().toMillis() / 1e3,
                        CpuUse.UNKNOWN,
                        -1);
            }

            int[] senders = new int[workers.length];
            long[] loopThreads = new long[workers.length];
            fleet.onEveryLoop(w -> {
                senders[indexOf(workers, w)] = w.senderCount();
                loopThreads[indexOf(workers, w)] = Thread.currentThread().getId();
            });
            int allSenders = 0;
            for (int s : senders) {
                allSenders += s;
            }
            long origin = System.nanoTime() + START_MARGIN_NANOS;
            // Waiting for the JIT, the window starts at the latest warm-up allowed and moves earlier once it is quiet.
            long latestFrom = origin + o.warmupMax().toNanos();
            long latestTo = latestFrom + o.duration().toNanos();
            long measureFrom = latestFrom;
            long measureTo = latestTo;
            double interval = 1e9 / o.rate();
            for (int w = 0; w < workers.length; w++) {
                // Each loop sends its share of the rate; their schedules are interleaved, not in step.
                double share = allSenders == 0 ? 0 : o.rate() * senders[w] / allSenders;
                long offset = (long) (interval * w);
                LoadWorker worker = workers[w];
                worker.loop()
                        .execute(() -> worker.start(
                                origin,
                                origin + offset,
                                latestFrom,
                                latestTo,
                                share,
                                o.tick().toNanos()));
            }
            log.printf(
                    "sending %.0f msgs/s: warm-up %s s%s, then measuring %s s%n",
                    o.rate(),
                    o.warmup().toMillis() / 1e3,
                    waitsForJit() ? " or up to " + o.warmupMax().toMillis() / 1e3 + " s until the JIT is quiet" : "",
                    o.duration().toMillis() / 1e3);

            boolean jitQuiet = false;
            if (waitsForJit()) {
                parkUntil(origin + o.warmup().toNanos());
                jitQuiet = awaitQuietJit(measureFrom - WINDOW_MOVE_NANOS);
                while (jitQuiet) {
                    long from = System.nanoTime() + WINDOW_MOVE_NANOS;
                    if (from >= measureFrom) {
                        break; // the latest start is as near: keep it
                    }
                    long to = from + o.duration().toNanos();
                    boolean[] moved = {true};
                    fleet.onEveryLoop(w -> {
                        if (!w.window(from, to)) {
                            moved[0] = false; // loops may write at once, all the same value
                        }
                    });
                    if (moved[0]) {
                        measureFrom = from;
                        measureTo = to;
                        break;
                    }
                    // A loop ran the move too late (a starved machine): move them all again, later.
                }
                log.printf(
                        "measuring from %.1f s%s%n",
                        (measureFrom - origin) / 1e9,
                        jitQuiet ? ": the nodes' JIT is quiet" : ": --warmup-max reached, the JIT still busy");
            }

            parkUntil(measureFrom);
            CpuUse start = cpuUse(loopThreads);
            List<Map<Long, Long>> jitStart = jitReadings();
            parkUntil(measureTo);
            CpuUse cpu = CpuUse.between(start, cpuUse(loopThreads)).withJit(jitBetween(jitStart, jitReadings()));

            long drainUntil = measureTo + o.drain().toNanos();
            while (!drained(fleet, workers) && System.nanoTime() < drainUntil) {
                LockSupport.parkNanos(DRAIN_POLL_NANOS);
            }
            RunTotals totals = fleet.totals();
            long deliveriesAfter = gatewayDeliveries();
            return new ThroughputReport(
                    o,
                    totals,
                    (measureFrom - origin) / 1e9,
                    jitQuiet,
                    o.duration().toMillis() / 1e3,
                    cpu,
                    deliveriesBefore < 0 || deliveriesAfter < 0 ? -1 : deliveriesAfter - deliveriesBefore);
        }
    }

    private boolean waitsForJit() {
        return o.warmupMax().compareTo(o.warmup()) > 0 && !processes.isEmpty();
    }

    /**
     * Samples every node's JIT compiler threads until each used under {@link #JIT_QUIET_SHARE} of a core over the last
     * {@link #JIT_QUIET_NANOS}; false if {@code deadline} comes first.
     */
    private boolean awaitQuietJit(long deadline) throws InterruptedException, IOException {
        record Reading(long at, List<Map<Long, Long>> jit) {}
        // The oldest of these is about JIT_QUIET_NANOS old: a sample every JIT_SAMPLE_NANOS, at least.
        ArrayDeque<Reading> readings = new ArrayDeque<>();
        while (System.nanoTime() < deadline) {
            Reading now = new Reading(System.nanoTime(), jitReadings());
            readings.addLast(now);
            if (readings.size() > JIT_QUIET_NANOS / JIT_SAMPLE_NANOS) {
                Reading old = readings.removeFirst();
                if (quiet(old.jit(), now.jit(), now.at() - old.at())) {
                    return true;
                }
            }
            LockSupport.parkNanos(JIT_SAMPLE_NANOS);
        }
        return false;
    }

    private static boolean quiet(List<Map<Long, Long>> before, List<Map<Long, Long>> after, long elapsedNanos) {
        for (int i = 0; i < before.size(); i++) {
            if (NodeProcess.cpuBetween(before.get(i), after.get(i)) >= JIT_QUIET_SHARE * elapsedNanos) {
                return false;
            }
        }
        return true;
    }

    /** Each node's JIT threads' CPU so far, in --node-pid order; empty without pids. */
    private List<Map<Long, Long>> jitReadings() throws IOException {
        List<Map<Long, Long>> out = new ArrayList<>();
        for (NodeProcess p : processes) {
            out.add(p.jitThreadCpuNanos());
        }
        return out;
    }

    /** The nodes' JIT CPU between two {@link #jitReadings}, summed; -1 without pids. */
    private static long jitBetween(List<Map<Long, Long>> before, List<Map<Long, Long>> after) {
        if (before.isEmpty()) {
            return -1;
        }
        long sum = 0;
        for (int i = 0; i < before.size(); i++) {
            sum += NodeProcess.cpuBetween(before.get(i), after.get(i));
        }
        return sum;
    }

    private static int indexOf(LoadWorker[] workers, LoadWorker w) {
        for (int i = 0; i < workers.length; i++) {
            if (workers[i] == w) {
                return i;
            }
        }
        throw new IllegalArgumentException("not a worker of this fleet");
    }

    private static boolean drained(ConnectionFleet fleet, LoadWorker[] workers) throws InterruptedException {
        boolean[] all = {true};
        fleet.onEveryLoop(w -> {
            if (!w.drained()) {
                all[0] = false; // loops may write at once, all the same value; read after every one finished
            }
        });
        return all[0];
    }

    private static void parkUntil(long deadline) {
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
        }
    }

    /** One reading of every CPU figure; differences of two make the window's {@link CpuUse}. */
    private CpuUse cpuUse(long[] loopThreads) throws InterruptedException {
        long gatewayWait = processes.isEmpty() ? -1 : 0;
        for (NodeProcess p : processes) {
            long w = RunQueueWait.nanos(p.pid(), null);
            gatewayWait = w < 0 || gatewayWait < 0 ? -1 : gatewayWait + w;
        }
        return new CpuUse(
                gatewayCpuNanos(),
                cpuSource(),
                gatewayWait,
                ownCpuNanos(),
                threadCpuNanos(loopThreads),
                RunQueueWait.nanos(ProcessHandle.current().pid(), ConnectionFleet.THREAD_PREFIX),
                -1);
    }

    private String cpuSource() {
        if (!processes.isEmpty()) {
            return "/proc";
        }
        return o.admins().size() == o.nodes().size() ? "/metrics process_cpu_time_ns_total" : null;
    }

    /** CPU time of every node, summed: from /proc when the pids are known, else from each node's /metrics; -1 if neither. */
    private long gatewayCpuNanos() throws InterruptedException {
        try {
            if (!processes.isEmpty()) {
                long sum = 0;
                for (NodeProcess p : processes) {
                    sum += p.cpuNanos();
                }
                return sum;
            }
            if (o.admins().size() == o.nodes().size()) {
                long sum = 0;
                for (URI a : o.admins()) {
                    double v = admin.metrics(a).sum("process_cpu_time_ns_total", "");
                    if (Double.isNaN(v)) {
                        return -1;
                    }
                    sum += (long) v;
                }
                return sum;
            }
        } catch (IOException e) {
            log.println("gateway CPU unavailable: " + e.getMessage());
        }
        return -1;
    }

    /** {@code inbox_deliveries_total} summed over the nodes, or -1 when not every node's admin port is known. */
    private long gatewayDeliveries() throws InterruptedException {
        if (o.admins().size() != o.nodes().size()) {
            return -1;
        }
        try {
            long sum = 0;
            for (URI a : o.admins()) {
                double v = admin.metrics(a).sum("inbox_deliveries_total", "");
                if (Double.isNaN(v)) {
                    return -1;
                }
                sum += (long) v;
            }
            return sum;
        } catch (IOException e) {
            log.println("gateway delivery count unavailable: " + e.getMessage());
            return -1;
        }
    }

    /** CPU time of the event-loop threads: the load generator's own work, without JIT compilation and GC. */
    private static long threadCpuNanos(long[] threads) {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!mx.isThreadCpuTimeSupported()) {
            return -1;
        }
        long sum = 0;
        for (long id : threads) {
            long t = mx.getThreadCpuTime(id);
            if (t < 0) {
                return -1;
            }
            sum += t;
        }
        return sum;
    }

    private static long ownCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
