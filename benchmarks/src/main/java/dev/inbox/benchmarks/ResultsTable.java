package dev.inbox.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a JMH JSON result file ({@code -rf json -rff results.json}) into the Markdown tables of RESULTS.md: score
 * and B/op per benchmark, per delivery for the fan-out (the score divided by {@code recipients *
 * connectionsPerUser * burst}, the frames written), each subject's ratio to its baselines measured in the same run,
 * and, where a run covers several recipient counts, allocation split into a part per operation and a part per
 * delivery (a least-squares line through B/op against deliveries: the slope is what each recipient costs beyond
 * the shared events).
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar dev.inbox.benchmarks.ResultsTable results.json}
 */
public final class ResultsTable {
    /** Baseline method: the method it is the baseline of, in the same class and with the same parameters. */
    private static final Map<String, String> BASELINE_OF = Map.of(
            "naiveJackson", "gateway",
            "channelGroup", "gateway",
            "decodeJackson", "decode",
            "encodeJackson", "encode");

    private ResultsTable() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ResultsTable results.json");
            System.exit(2);
        }
        print(Path.of(args[0]), System.out);
    }

    /** One row per benchmark and parameter set, then one per baseline comparison. */
    static void print(Path json, PrintStream out) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (JsonNode n : new ObjectMapper().readTree(json.toFile())) {
            rows.add(Row.of(n));
        }
        out.println("| benchmark | params | ns/op | B/op | deliveries/op | ns/delivery | loop CPU ns/delivery "
                + "| B/delivery |");
        out.println("|---|---|---:|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            out.printf(
                    Locale.ROOT,
                    "| %s | %s | %s ± %s | %s | %s | %s | %s | %s |%n",
                    r.name(),
                    r.params(),
                    num(r.score),
                    num(r.error),
                    num(r.bytesPerOp),
                    r.deliveries > 0 ? r.deliveries : "",
                    r.deliveries > 0 ? num(r.score / r.deliveries) + " ± " + num(r.error / r.deliveries) : "",
                    r.deliveries > 0 && !Double.isNaN(r.cpuPerOp) ? num(r.cpuPerOp / r.deliveries) : "",
                    r.deliveries > 0 && !Double.isNaN(r.bytesPerOp) ? num(r.bytesPerOp / r.deliveries) : "");
        }
        Map<String, Row> byKey = new HashMap<>();
        for (Row r : rows) {
            byKey.put(r.key(r.method), r);
        }
        out.println();
        out.println("| subject | baseline | params | baseline / subject (time) | baseline / subject (loop CPU) "
                + "| baseline / subject (B/op) |");
        out.println("|---|---|---|---:|---:|---:|");
        for (Row baseline : rows) {
            String subjectMethod = BASELINE_OF.get(baseline.method);
            Row subject = subjectMethod == null ? null : byKey.get(baseline.key(subjectMethod));
            if (subject == null) {
                continue;
            }
            double ratio = baseline.score / subject.score;
            // Relative errors add in quadrature: JMH's errors are 99.9% confidence half-widths of independent runs.
            double error = ratio * Math.hypot(baseline.error / baseline.score, subject.error / subject.score);
            String cpu = Double.isNaN(subject.cpuPerOp) || Double.isNaN(baseline.cpuPerOp)
                    ? ""
                    : String.format(Locale.ROOT, "%.1fx", baseline.cpuPerOp / subject.cpuPerOp);
            out.printf(
                    Locale.ROOT,
                    "| %s | %s | %s | %.1fx ± %.1f | %s | %s |%n",
                    subject.name(),
                    baseline.method,
                    subject.params(),
                    ratio,
                    error,
                    cpu,
                    Double.isNaN(subject.bytesPerOp)
                            ? ""
                            : String.format(
                                    Locale.ROOT, "%.1fx", baseline.bytesPerOp / Math.max(subject.bytesPerOp, 1e-3)));
        }
        printAllocationSplit(rows, out);
    }

    /** B/op = perOperation + perDelivery * deliveries, fitted over the recipient counts of one series. */
    private static void printAllocationSplit(List<Row> rows, PrintStream out) {
        Map<String, List<Row>> series = new LinkedHashMap<>();
        for (Row r : rows) {
            if (r.deliveries > 0 && !Double.isNaN(r.bytesPerOp)) {
                String others = r.params().replaceAll("recipients=\\S+ ?", "").trim();
                series.computeIfAbsent(r.name() + " " + others, k -> new ArrayList<>())
                        .add(r);
            }
        }
        boolean header = false;
        for (Map.Entry<String, List<Row>> e : series.entrySet()) {
            List<Row> points = e.getValue();
            if (points.stream().mapToLong(Row::deliveries).distinct().count() < 2) {
                continue;
            }
            if (!header) {
                out.println();
                out.println("| series | deliveries/op | B per operation (intercept) | B per delivery (slope) |");
                out.println("|---|---|---:|---:|");
                header = true;
            }
            double n = points.size();
            double mx = points.stream().mapToDouble(Row::deliveries).sum() / n;
            double my = points.stream().mapToDouble(Row::bytesPerOp).sum() / n;
            double sxy = points.stream()
                    .mapToDouble(r -> (r.deliveries - mx) * (r.bytesPerOp - my))
                    .sum();
            double sxx = points.stream()
                    .mapToDouble(r -> (r.deliveries - mx) * (r.deliveries - mx))
                    .sum();
            double slope = sxy / sxx;
            out.printf(
                    Locale.ROOT,
                    "| %s | %s | %s | %.1f |%n",
                    e.getKey(),
                    points.stream()
                            .map(r -> Long.toString(r.deliveries))
                            .distinct()
                            .reduce((a, b) -> a + ", " + b)
                            .orElse(""),
                    num(my - slope * mx),
                    slope);
        }
    }

    private static String num(double v) {
        if (Double.isNaN(v)) {
            return "";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    /** One JMH result: a method with one set of parameters. */
    private record Row(
            String className,
            String method,
            String params,
            double score,
            double error,
            double bytesPerOp,
            double cpuPerOp,
            long deliveries) {
        static Row of(JsonNode n) {
            String benchmark = n.get("benchmark").asText();
            int dot = benchmark.lastIndexOf('.');
            String className = benchmark.substring(benchmark.lastIndexOf('.', dot - 1) + 1, dot);
            StringBuilder params = new StringBuilder();
            JsonNode p = n.get("params");
            if (p != null) {
                p.properties()
                        .forEach(e -> params.append(params.length() == 0 ? "" : " ")
                                .append(e.getKey())
                                .append('=')
                                .append(e.getValue().asText()));
            }
            long deliveries = p != null && p.has("recipients")
                    ? p.get("recipients").asLong()
                            * (p.has("connectionsPerUser")
                                    ? p.get("connectionsPerUser").asLong()
                                    : 1)
                            * (p.has("burst") ? p.get("burst").asLong() : 1)
                    : 0;
            JsonNode primary = n.get("primaryMetric");
            JsonNode alloc = n.path("secondaryMetrics").get("gc.alloc.rate.norm");
            JsonNode cpu = n.path("secondaryMetrics").get("loop.cpu.norm");
            return new Row(
                    className,
                    benchmark.substring(dot + 1),
                    params.toString(),
                    primary.get("score").asDouble(),
                    errorOf(primary),
                    alloc == null ? Double.NaN : alloc.get("score").asDouble(),
                    cpu == null ? Double.NaN : cpu.get("score").asDouble(),
                    deliveries);
        }

        /** JMH writes "NaN" for the error of a single iteration. */
        private static double errorOf(JsonNode metric) {
            double e = metric.path("scoreError").asDouble(Double.NaN);
            return Double.isNaN(e) ? 0 : e;
        }

        String name() {
            return className + "." + method;
        }

        String key(String m) {
            return className + "." + m + " " + params;
        }
    }
}
