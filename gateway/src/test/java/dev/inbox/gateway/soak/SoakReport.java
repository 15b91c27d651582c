package dev.inbox.gateway.soak;

import dev.inbox.gateway.soak.Verdict.Count;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The soak's compact report: settings, timeline, message accounting, and each node's resources before and after,
 * as plain text for stdout and {@code target/soak/soak-report.txt}.
 */
final class SoakReport {
    private final StringBuilder out = new StringBuilder();

    SoakReport line(String format, Object... args) {
        out.append(String.format(Locale.ROOT, format, args)).append('\n');
        return this;
    }

    /** Every count of the verdict, with what it means; failures marked. */
    SoakReport verdict(Verdict v) {
        line("messages and deliveries:");
        for (Map.Entry<Count, Long> e : v.counts().entrySet()) {
            Count c = e.getKey();
            if (c.failure && e.getValue() == 0) {
                continue; // listed once below as "none"
            }
            line(
                    "  %-30s %10d  %s%s",
                    c.name().toLowerCase(Locale.ROOT), e.getValue(), c.meaning, c.failure ? "  <-- FAILURE" : "");
            for (String example : v.examples(c)) {
                line("  %-30s %10s    e.g. %s", "", "", example);
            }
        }
        List<String> zero = new ArrayList<>();
        for (Count c : Count.values()) {
            if (c.failure && v.get(c) == 0) {
                zero.add(c.name().toLowerCase(Locale.ROOT));
            }
        }
        line("  none of: %s", String.join(", ", zero));
        return this;
    }

    /** A before/after table of each node's resources. */
    SoakReport resources(List<String> names, List<NodeResources> before, List<NodeResources> after, SoakSettings s) {
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-22s", "resources"));
        for (String n : names) {
            head.append(String.format(Locale.ROOT, " | %-8s %10s %10s %8s", n, "before", "after", "delta"));
        }
        head.append(" | margin");
        line("%s", head);
        row(
                "heap after GC (KiB)",
                before,
                after,
                r -> NodeResources.kib(r.heapAfterGc()),
                "+" + NodeResources.kib(s.heapMargin()));
        row(
                "direct pool (KiB)",
                before,
                after,
                r -> NodeResources.kib(r.jdkDirect()),
                "+" + NodeResources.kib(s.directMargin()));
        row(
                "netty direct (KiB)",
                before,
                after,
                r -> NodeResources.kib(r.nettyDirect()),
                "+" + NodeResources.kib(s.directMargin()));
        row("threads", before, after, r -> r.threads(), "(reported)");
        row("threads, not lazy pool", before, after, r -> r.countedThreads(), "+" + s.threadMargin());
        row("file descriptors", before, after, r -> r.fds(), "+" + s.fdMargin());
        for (int i = 0; i < names.size(); i++) {
            line(
                    "  %s threads: %s; fds: %s",
                    names.get(i),
                    NodeResources.difference(
                            before.get(i).threadNames(), after.get(i).threadNames()),
                    NodeResources.difference(
                            before.get(i).fdKinds(), after.get(i).fdKinds()));
        }
        return this;
    }

    private void row(
            String label,
            List<NodeResources> before,
            List<NodeResources> after,
            java.util.function.ToLongFunction<NodeResources> f,
            String margin) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-22s", label));
        for (int i = 0; i < before.size(); i++) {
            long x = f.applyAsLong(before.get(i));
            long y = f.applyAsLong(after.get(i));
            b.append(String.format(Locale.ROOT, " | %-8s %10d %10d %+8d", "", x, y, y - x));
        }
        b.append(" | ").append(margin);
        line("%s", b);
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
