package dev.inbox.benchmarks.loadgen;

import java.io.IOException;
import java.io.PrintStream;

/**
 * The end-to-end load generator's command line:
 * {@code java -cp benchmarks/target/benchmarks.jar dev.inbox.benchmarks.loadgen.LoadGenerator --help}.
 * Exit code 0 when the run passed, 1 when it failed (the report says why), 2 for bad flags.
 */
public final class LoadGenerator {
    public static final int PASSED = 0;
    public static final int FAILED = 1;
    public static final int BAD_FLAGS = 2;

    private LoadGenerator() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs with {@code args}, printing the report to {@code out} and progress and errors to {@code err}. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        LoadOptions options;
        try {
            options = LoadOptions.parse(args);
        } catch (LoadOptions.HelpRequested e) {
            out.print(Flag.usage());
            return PASSED;
        } catch (LoadOptions.BadFlag e) {
            err.println("inbox-loadgen: " + e.getMessage());
            return BAD_FLAGS;
        }
        try {
            if (options.mode() == LoadOptions.Mode.MEMORY) {
                MemoryReport report = new MemoryRun(options, err).run();
                report.print(out);
                if (options.json() != null) {
                    report.writeJson(options.json());
                }
                return report.passed() ? PASSED : FAILED;
            }
            ThroughputReport report = new ThroughputRun(options, err).run();
            report.print(out);
            if (options.json() != null) {
                report.writeJson(options.json());
            }
            return report.passed() ? PASSED : FAILED;
        } catch (IOException | RuntimeException e) {
            err.println("inbox-loadgen: " + e);
            return FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("inbox-loadgen: interrupted");
            return FAILED;
        }
    }
}
