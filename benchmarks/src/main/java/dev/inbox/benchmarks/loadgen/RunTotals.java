package dev.inbox.benchmarks.loadgen;

import dev.inbox.testkit.DeliveryCounts;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Every event loop's results added together, on the reporting thread, once the loops have handed them over (each
 * through a task on its own loop, so the hand-off is ordered). Mutable, one thread.
 */
final class RunTotals {
    int attempted;
    int established;
    final Map<String, Long> failures = new TreeMap<>();
    final Histogram handshakes = new Histogram(TimeUnit.MINUTES.toNanos(10), 3);
    final Map<String, Long> closedDuringRun = new TreeMap<>();
    long errors;
    String firstError;

    int senders;
    long sent;
    long sentMeasured;
    long refusedMeasured;
    long acked;
    long backlogSkipped;
    long unsentClosed;
    long maxLagNanos;
    long lagSumNanos;

    long expected;
    final DeliveryCounts counts = new DeliveryCounts();
    final Histogram latency = new Histogram(TimeUnit.MINUTES.toNanos(10), 3);
    long deliveriesMeasured;
    final Map<String, Long> refusals = new TreeMap<>();
    long malformed;
    long otherFrames;
    /** Mixed scenario: TYPING and READ frames sent beside the messages. */
    long typingSent;

    long readsSent;
    /** READ events received, counted in {@link #otherFrames} too. */
    long readEvents;

    long failed() {
        return sum(failures);
    }

    long refused() {
        return sum(refusals);
    }

    long closed() {
        return sum(closedDuringRun);
    }

    /** Sent messages that got neither their acknowledgement nor an error. */
    long unanswered() {
        return Math.max(0, sent - acked - refused());
    }

    static long sum(Map<String, Long> m) {
        long s = 0;
        for (long v : m.values()) {
            s += v;
        }
        return s;
    }
}
