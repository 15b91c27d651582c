package dev.inbox.benchmarks.loadgen;

/**
 * One scrape of a node's {@code /metrics} in the Prometheus text format, read for a few sums: lines
 * {@code name{labels} value} or {@code name value}; comments skipped.
 */
record PrometheusText(String text) {

    /**
     * The sum of every sample of {@code name} whose labels contain {@code labelFilter} (empty: all), or NaN when
     * there is none.
     */
    double sum(String name, String labelFilter) {
        double total = 0;
        boolean found = false;
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || !line.startsWith(name)) {
                continue;
            }
            int at = name.length();
            if (at >= line.length() || (line.charAt(at) != '{' && line.charAt(at) != ' ')) {
                continue; // a longer name with this prefix
            }
            int valueAt = line.charAt(at) == '{' ? line.indexOf('}', at) + 1 : at;
            if (valueAt <= 0 || !line.substring(at, valueAt).contains(labelFilter)) {
                continue;
            }
            // "value" or "value timestamp"
            String[] rest = line.substring(valueAt).trim().split(" ");
            try {
                total += Double.parseDouble(rest[0]);
                found = true;
            } catch (NumberFormatException e) {
                // not a number: not a sample this reads
            }
        }
        return found ? total : Double.NaN;
    }
}
