package dev.inbox.gateway.soak;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of a node's {@code /metrics} (Prometheus text), read the way the soak needs: sums of samples. */
record MetricsText(String text) {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? (\\S+)$",
            Pattern.MULTILINE);

    /**
     * The sum of every sample of {@code name} whose labels contain each of {@code labels} (such as
     * {@code area="heap"}) and none of {@code without}; NaN when there is no such sample.
     */
    double sum(String name, String[] labels, String... without) {
        double total = 0;
        boolean found = false;
        Matcher m = SAMPLE.matcher(text);
        while (m.find()) {
            if (!m.group(1).equals(name)) {
                continue;
            }
            String l = m.group(2) == null ? "" : m.group(2);
            if (matches(l, labels, without)) {
                total += Double.parseDouble(m.group(3));
                found = true;
            }
        }
        return found ? total : Double.NaN;
    }

    /** The one sample of {@code name} without labels, or NaN. */
    double value(String name) {
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
