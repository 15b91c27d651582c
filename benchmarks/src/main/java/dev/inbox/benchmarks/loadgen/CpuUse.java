package dev.inbox.benchmarks.loadgen;

/**
 * CPU spent in the measured window by both sides, and how long their threads waited for a CPU; -1 where unknown.
 *
 * @param gatewayNanos          the node(s)' CPU time
 * @param gatewaySource         where that came from ({@code /proc} or {@code /metrics}), or null
 * @param gatewayWaitNanos      the node(s)' threads' time ready to run but waiting for a CPU, summed over threads
 * @param ownNanos              this process's CPU time
 * @param loopNanos             the part of it spent by the event-loop threads (the rest: JIT, GC, the main thread)
 * @param loopWaitNanos         the event-loop threads' time ready to run but waiting for a CPU
 * @param gatewayJitNanos       the part of {@code gatewayNanos} spent by the nodes' JIT compiler threads
 */
record CpuUse(
        long gatewayNanos,
        String gatewaySource,
        long gatewayWaitNanos,
        long ownNanos,
        long loopNanos,
        long loopWaitNanos,
        long gatewayJitNanos) {

    static final CpuUse UNKNOWN = new CpuUse(-1, null, -1, -1, -1, -1, -1);

    /** This, with the nodes' JIT CPU (read apart: compiler threads come and go, so it is not a difference of sums). */
    CpuUse withJit(long jitNanos) {
        return new CpuUse(gatewayNanos, gatewaySource, gatewayWaitNanos, ownNanos, loopNanos, loopWaitNanos, jitNanos);
    }

    /** The difference {@code end - start}, field by field; unknown where either is, and the JIT's unknown. */
    static CpuUse between(CpuUse start, CpuUse end) {
        return new CpuUse(
                delta(start.gatewayNanos, end.gatewayNanos),
                end.gatewaySource,
                delta(start.gatewayWaitNanos, end.gatewayWaitNanos),
                delta(start.ownNanos, end.ownNanos),
                delta(start.loopNanos, end.loopNanos),
                delta(start.loopWaitNanos, end.loopWaitNanos),
                -1);
    }

    private static long delta(long a, long b) {
        return a < 0 || b < 0 ? -1 : b - a;
    }
}
