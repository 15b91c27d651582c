package dev.inbox.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What every benchmark here shares, so results are comparable across classes and runs: one forked JVM with a fixed
 * 1 GiB heap (no resizing mid-run), Netty's leak detector off (at its default level it samples buffers and adds
 * allocation the gateway does not have in production; the JUnit smoke run keeps it at paranoid instead), Netty's
 * object-pool batch at the size the gateway's {@code Main} sets ({@code io.netty.recycler.chunkSize}), average
 * time per operation in nanoseconds, and one-second iterations. Command-line flags ({@code -f -wi -i -w -r}) override
 * the iteration counts; the JVM flags stay.
 */
@Fork(
        value = 1,
        jvmArgsAppend = {
            "-Xms1g",
            "-Xmx1g",
            "-Dio.netty.leakDetection.level=disabled",
            "-Dio.netty.recycler.chunkSize=2048"
        })
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class AbstractMicrobenchmark {}
