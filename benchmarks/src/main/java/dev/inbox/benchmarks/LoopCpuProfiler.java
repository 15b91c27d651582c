package dev.inbox.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * CPU time the gateway's event loops spent per operation: {@code loop.cpu.norm}, in ns/op, beside JMH's wall-clock
 * score. Use it with {@code -prof dev.inbox.benchmarks.LoopCpuProfiler}.
 *
 * <p>Why: one fan-out operation on idle loops pays three thread wake-ups (benchmark thread to the routing loop, to
 * the other loop, back), which on this VM take tens of microseconds of wall-clock time whatever the recipient count,
 * mostly spent asleep. The wall-clock score charges that to every recipient at small N; the CPU time of the threads
 * named {@value #LOOP_THREADS}{@code -*} (the sinks' gateway-side loops, where routing, encoding and every write run)
 * is the cost of the code itself. Read from {@link ThreadMXBean#getThreadCpuTime} before and after each iteration
 * and divided by all of the iteration's operations, as JMH's GC profiler normalises allocation.
 */
public final class LoopCpuProfiler implements InternalProfiler {
    /** The thread-name prefix of the gateway loops in every sink. */
    static final String LOOP_THREADS = "inbox-io";

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    /** Loop thread id to its CPU time at the start of the iteration. */
    private Map<Long, Long> before = Map.of();

    @Override
    public String getDescription() {
        return "CPU time of the gateway's event-loop threads (" + LOOP_THREADS + "-*) per operation";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        before = loopCpuNanos();
    }

    /**
     * The loops' CPU time since {@link #beforeIteration}, per operation. No result for an iteration whose loops did
     * not all survive it (the last one: the trial's tear-down stops the loops before this runs), since their final
     * CPU time is no longer readable and leaving them out would understate the cost.
     */
    @Override
    public List<? extends Result> afterIteration(
            BenchmarkParams benchmarkParams, IterationParams iterationParams, IterationResult result) {
        Map<Long, Long> after = loopCpuNanos();
        long ops = result.getMetadata().getAllOps();
        if (ops == 0 || before.isEmpty() || !after.keySet().containsAll(before.keySet())) {
            return List.of();
        }
        long spent = 0;
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            spent += e.getValue() - before.getOrDefault(e.getKey(), 0L); // a loop started mid-iteration: all of it
        }
        return List.of(new ScalarResult("loop.cpu.norm", (double) spent / ops, "ns/op", AggregationPolicy.AVG));
    }

    private Map<Long, Long> loopCpuNanos() {
        Map<Long, Long> cpu = new HashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().startsWith(LOOP_THREADS)) {
                long nanos = threads.getThreadCpuTime(info.getThreadId());
                if (nanos >= 0) {
                    cpu.put(info.getThreadId(), nanos);
                }
            }
        }
        return cpu;
    }
}
