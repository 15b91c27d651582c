package dev.inbox.gateway.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.metrics.GatewayMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The metrics table in docs/operations.md is what a scrape shows: every {@code inbox_} family in it, each with the
 * type Prometheus is told ({@code # TYPE}) and the label the table names; nothing in the table that is not exported.
 * Read from a real scrape, not from {@code InboxMeters}, since Micrometer decides the exported type (a distribution
 * summary with buckets is a histogram) and adds families (the {@code _max} gauges).
 */
class MetricsDocumentedTest {
    private static final Path DOC = Path.of("..", "docs", "operations.md");
    private static final String HEADER = "| meter | type | labels | |";
    private static final Pattern NAME = Pattern.compile("`(inbox_[a-z_]+)`");
    private static final Pattern LABEL = Pattern.compile("^`([a-z_]+)`");

    @Test
    void theMetricsTableIsWhatTheScrapeShows() throws IOException {
        GatewayMetrics metrics = new GatewayMetrics();
        metrics.gauges(() -> 0, () -> 0);
        metrics.redisGauge(() -> 1); // registered on clustered nodes only; the table says so
        metrics.hook("publish", () -> 0).answeredIn(1_000_000); // registered for a configured hook only
        // Registered on clustered nodes with the outbox on; the lag and pending rows appear once a group exists.
        metrics.outbox().polled(0, new java.util.TreeMap<>(java.util.Map.of("backend", new long[] {0, 0})));
        metrics.latencyRecorder().delivered(false, 1, 1_000_000); // the latency histogram has rows once a loop records
        String scrape = metrics.scrape(null);

        Map<String, String> exported = new TreeMap<>();
        for (String line : scrape.split("\n")) {
            if (line.startsWith("# TYPE inbox_")) {
                String[] parts = line.split(" ");
                exported.put(parts[2], parts[3]);
            }
        }

        Map<String, String> documented = new TreeMap<>();
        List<String> wrongLabels = new ArrayList<>();
        for (String row : rows()) {
            String[] cells = row.substring(2, row.length() - 2).split(" \\| ", -1);
            String type = cells[1].strip().split(" ")[0];
            Matcher label = LABEL.matcher(cells[2].strip());
            Matcher names = NAME.matcher(cells[0]);
            while (names.find()) {
                String name = names.group(1);
                documented.put(name, type);
                if (label.find(0)
                        && !scrape.matches(
                                "(?s).*\n" + name + "(_bucket|_count|_sum)?\\{([^}]*,)?" + label.group(1) + "=\".*")) {
                    wrongLabels.add(name + " has no label " + label.group(1));
                }
            }
        }
        assertEquals(exported, documented, DOC + ": the metrics table (name=type) differs from the scrape");
        assertEquals(List.of(), wrongLabels);
    }

    private static List<String> rows() throws IOException {
        List<String> lines = Files.readAllLines(DOC, StandardCharsets.UTF_8);
        int at = lines.indexOf(HEADER);
        assertTrue(at >= 0, DOC + " has no table headed " + HEADER);
        List<String> rows = new ArrayList<>();
        for (int i = at + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            rows.add(lines.get(i));
        }
        return rows;
    }
}
