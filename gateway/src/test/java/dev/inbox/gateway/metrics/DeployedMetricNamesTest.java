package dev.inbox.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every metric the alert rules and the Grafana dashboards query is one a node exports: a renamed meter breaks the
 * build instead of disarming an alert or emptying a panel in silence.
 */
class DeployedMetricNamesTest {
    private static final Path ALERTS = Path.of("..", "deploy", "prometheus", "alerts.yml");
    private static final Path DASHBOARDS = Path.of("..", "deploy", "grafana", "dashboards");
    /** The prefixes of the gateway's meters and Micrometer's binders; no label or function name starts with one. */
    private static final Pattern METRIC = Pattern.compile("\\b(?:inbox|jvm|process|netty|system)_[a-z0-9_]+\\b");

    @Test
    void everyMetricTheAlertsQueryIsExported() throws IOException {
        assertAllExported(ALERTS);
    }

    @Test
    void everyMetricTheDashboardsQueryIsExported() throws IOException {
        try (Stream<Path> files = Files.list(DASHBOARDS)) {
            for (Path dashboard :
                    files.filter(f -> f.toString().endsWith(".json")).toList()) {
                assertAllExported(dashboard);
            }
        }
    }

    private static void assertAllExported(Path file) throws IOException {
        Set<String> queried = new TreeSet<>();
        Matcher m = METRIC.matcher(Files.readString(file, StandardCharsets.UTF_8));
        while (m.find()) {
            queried.add(m.group());
        }
        assertTrue(queried.stream().anyMatch(n -> n.startsWith("inbox_")), file + " queries no inbox_ metric");
        Set<String> unknown = new TreeSet<>(queried);
        unknown.removeAll(exported());
        assertEquals(Set.of(), unknown, file + " queries metrics no node exports");
    }

    /** The sample names of a scrape with every meter (a histogram's _bucket, _count and _sum, a counter's _total). */
    private static Set<String> exported() {
        Set<String> names = new TreeSet<>();
        for (String line : EveryMeterScrape.text().split("\n")) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }
}
