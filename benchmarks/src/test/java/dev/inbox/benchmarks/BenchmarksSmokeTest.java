package dev.inbox.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.protocol.Ids;
import dev.inbox.protocol.ServerEvent;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs every benchmark once, in this JVM and in a minimal configuration, so a benchmark that no longer compiles
 * against the gateway, throws, hangs or leaks a buffer (Netty's detector is at paranoid here, and the protocol
 * test-jar's extension fails the test on a leak) fails the build rather than the next person who measures.
 * The numbers mean nothing: no fork, no warm-up, 100 ms.
 */
class BenchmarksSmokeTest {
    private static final Class<?>[] BENCHMARKS = {
        FanoutBenchmark.class, CodecBenchmark.class, RelayEnvelopeBenchmark.class, RelayBenchmark.class
    };

    @Test
    void everyBenchmarkRunsOnceOnEverySinkAndProducesAScore(@TempDir Path dir) throws Exception {
        // A developer may be measuring on this machine meanwhile; JMH's lock would otherwise fail this run.
        System.setProperty("jmh.ignoreLock", "true");
        Path json = dir.resolve("results.json");
        Options options = new OptionsBuilder()
                .include(Arrays.stream(BENCHMARKS)
                        .map(c -> "^" + c.getName() + "\\.")
                        .collect(Collectors.joining("|")))
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .param("recipients", "10")
                .param("connectionsPerUser", "3")
                .param("messageChars", "64")
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString())
                .build();

        Collection<RunResult> results = new Runner(options).run();

        Set<String> expected = new TreeSet<>();
        for (Class<?> c : BENCHMARKS) {
            for (Method m : c.getDeclaredMethods()) {
                if (!m.isAnnotationPresent(Benchmark.class)) {
                    continue;
                }
                String name = c.getSimpleName() + "." + m.getName();
                if (c == FanoutBenchmark.class) {
                    expected.add(name + " sink=discard");
                    expected.add(name + " sink=loopback");
                } else {
                    expected.add(name);
                }
            }
        }
        Set<String> ran = new TreeSet<>();
        for (RunResult r : results) {
            String label = r.getParams().getBenchmark();
            String name = label.substring(label.lastIndexOf('.', label.lastIndexOf('.') - 1) + 1);
            String sink = r.getParams().getParam("sink");
            ran.add(name + (sink != null ? " sink=" + sink : ""));
            double score = r.getPrimaryResult().getScore();
            assertTrue(score > 0 && Double.isFinite(score), () -> label + ": score " + score);
        }
        assertEquals(expected, ran);

        ByteArrayOutputStream table = new ByteArrayOutputStream();
        ResultsTable.print(json, new PrintStream(table, true, StandardCharsets.UTF_8));
        String text = table.toString(StandardCharsets.UTF_8);
        assertTrue(
                text.contains(
                        "| FanoutBenchmark.gateway | allocator=pooled burst=16 connectionsPerUser=3 metrics=on recipients=10 sink=discard |"),
                text);
        assertTrue(text.contains("| FanoutBenchmark.gateway | naiveJackson |"), text);
        assertTrue(text.contains("| CodecBenchmark.decode | decodeJackson | messageChars=64 |"), text);
    }

    /** The baselines' frames must be as long as the gateway's, or the sinks would wait for the wrong byte count. */
    @Test
    void baselineJsonIsByteForByteTheGatewaysEvent() throws Exception {
        ServerEvent event = new ServerEvent(
                "TEXT",
                FanoutBenchmark.MESSAGE,
                FanoutBenchmark.CONVERSATION,
                FanoutBenchmark.FIRST_USER,
                FanoutBenchmark.SENDER_NAME,
                FanoutBenchmark.SENDER_AVATAR,
                1_767_225_600_000L,
                Ids.MIN_MESSAGE_ID + 7);
        ByteBuf frame = new ServerFrameEncoder().encodeEvent(ByteBufAllocator.DEFAULT, event, null);
        try {
            byte[] gateway = ByteBufUtil.getBytes(ServerFrameEncoder.payloadOf(frame));
            byte[] jackson = JsonEvent.mapper().writeValueAsBytes(JsonEvent.of(event));
            assertArrayEquals(
                    gateway,
                    jackson,
                    () -> new String(gateway, StandardCharsets.UTF_8) + "\n"
                            + new String(jackson, StandardCharsets.UTF_8));
        } finally {
            frame.release();
        }
    }
}
