package dev.inbox.benchmarks.loadgen;

import dev.inbox.testkit.NodeProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * How long a process's threads were ready to run but waiting for a CPU: the second field of Linux's
 * {@code /proc/<pid>/task/<tid>/schedstat}, summed. On a machine the gateway and the load generator share (with
 * whatever else runs there), this tells a slow gateway from an oversubscribed machine: latency grows in both cases,
 * but only in the second do the threads wait on the run queue.
 */
final class RunQueueWait {
    private RunQueueWait() {}

    /**
     * Nanoseconds the threads of {@code pid} whose name starts with {@code threadPrefix} (every thread when null)
     * have waited for a CPU so far, or -1 where the kernel does not say.
     */
    static long nanos(long pid, String threadPrefix) {
        long sum = 0;
        try {
            for (Path task : NodeProcess.threads(pid, n -> threadPrefix == null || n.startsWith(threadPrefix))) {
                try {
                    String[] f = Files.readString(task.resolve("schedstat"), StandardCharsets.US_ASCII)
                            .trim()
                            .split(" ");
                    sum += Long.parseLong(f[1]);
                } catch (NoSuchFileException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return sum;
    }
}
