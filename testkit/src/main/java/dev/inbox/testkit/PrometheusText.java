package dev.inbox.testkit;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One scrape of a node's {@code /metrics} in the Prometheus text format, read for sums of samples: lines
 * {@code name{labels} value} or {@code name value}, optionally followed by a timestamp; comments and values that are
 * not numbers are skipped. Used by the integration tests, the soak run and the load generator.
 */
public record PrometheusText(String text) {
    private static final Pattern SAMPLE =
            Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? (\\S+)(?: \\S+)?$", Pattern.MULTILINE);

    /**
     * The sum of every sample of {@code name} whose labels contain each of {@code labels} (such as
     * {@code area="heap"}) and none of {@code without}; NaN when there is no such sample.
     */
    public double sum(String name, String[] labels, String... without) {
        double total = 0;
        boolean found = false;
        Matcher m = SAMPLE.matcher(text);
        while (m.find()) {
            if (!m.group(1).equals(name)) {
                continue; // another meter, a longer name with this prefix among them
            }
            String l = m.group(2) == null ? "" : m.group(2);
            if (matches(l, labels, without)) {
                try {
                    total += Double.parseDouble(m.group(3));
                    found = true;
                } catch (NumberFormatException e) {
                    // not a number: not a sample this reads
                }
            }
        }
        return found ? total : Double.NaN;
    }

    /** The sum of every sample of {@code name} whose labels contain {@code labelFilter} (empty: all), or NaN. */
    public double sum(String name, String labelFilter) {
        return sum(name, labelFilter.isEmpty() ? new String[0] : new String[] {labelFilter});
    }

    /** The one sample of {@code name} without labels (or the sum of all of them), or NaN. */
    public double value(String name) {
        return sum(name, new String[0]);
    }

    private static boolean matches(String l, String[] labels, String[] without) {
        for (String want : labels) {
            if (!l.contains(want)) {
                return false;
            }
        }
        for (String not : without) {
            if (l.contains(not)) {
                return false;
            }
        }
        return true;
    }
}
