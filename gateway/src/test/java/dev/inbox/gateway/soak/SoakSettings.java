package dev.inbox.gateway.soak;

import dev.inbox.testkit.SettingParser;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * What one soak run does, from {@code -Dsoak.*} system properties. The defaults are the short version that runs in
 * every {@code mvn -B verify} (about half a minute); {@code -Psoak} (gateway/pom.xml) passes the long version's.
 * Parsed and checked once: a bad value fails the run at once with the property's name and what it expected.
 *
 * @param duration           how long clients chat and churn ({@code soak.duration}, e.g. {@code 15s}, {@code 10m})
 * @param cohort             connections open for the whole run; loss and duplication are asserted exactly for them
 * @param conversations      conversations, each with members on both nodes
 * @param conversationsPerUser conversations each cohort member is in
 * @param churnPerSecond     churning connections opened a second (connect, chat, disconnect)
 * @param churnUsers         users the churning connections sign in as (each holds one connection at a time)
 * @param churnLifeMin       shortest life of a churning connection
 * @param churnLifeMax       longest life of a churning connection
 * @param churnMessagesMax   most messages a churning connection sends (it sends 1 to this many)
 * @param messagesPerSecond  messages the cohort sends a second, all together
 * @param messageChars       length of each message text
 * @param outage             how long Redis stays killed, in the middle of the run ({@code 0s}: no outage)
 * @param nodeHeap           {@code -Xmx} of each gateway process
 * @param nodeLeakDetection  Netty's leak detection level in the gateway processes (a report fails the run)
 * @param heapMargin         heap after GC may end this much above its baseline
 * @param directMargin       direct memory may end this much above its baseline
 * @param threadMargin       threads may end this many above their baseline (JVM-internal threads started lazily)
 * @param fdMargin           file descriptors may end this many above their baseline
 * @param seed               seed of every random choice (membership, who sends, lifetimes), printed in the report
 */
record SoakSettings(
        Duration duration,
        int cohort,
        int conversations,
        int conversationsPerUser,
        double churnPerSecond,
        int churnUsers,
        Duration churnLifeMin,
        Duration churnLifeMax,
        int churnMessagesMax,
        double messagesPerSecond,
        int messageChars,
        Duration outage,
        String nodeHeap,
        String nodeLeakDetection,
        long heapMargin,
        long directMargin,
        int threadMargin,
        int fdMargin,
        long seed) {

    static SoakSettings from(Properties p) {
        List<String> problems = new ArrayList<>();
        Reader r = new Reader(p, problems);
        SoakSettings s = new SoakSettings(
                r.duration("soak.duration", "15s", Duration.ofSeconds(2), Duration.ofHours(12)),
                r.integer("soak.cohort", 200, 2, 5000),
                r.integer("soak.conversations", 40, 1, 100_000),
                r.integer("soak.conversationsPerUser", 2, 1, 100),
                r.decimal("soak.churnPerSecond", 30, 0, 1000),
                r.integer("soak.churnUsers", 400, 1, 1_000_000),
                r.duration("soak.churnLifeMin", "300ms", Duration.ZERO, Duration.ofHours(1)),
                r.duration("soak.churnLifeMax", "2s", Duration.ZERO, Duration.ofHours(1)),
                r.integer("soak.churnMessagesMax", 3, 1, 1000),
                r.decimal("soak.messagesPerSecond", 120, 0, 100_000),
                r.integer("soak.messageChars", 64, 16, 4000),
                r.duration("soak.outage", "2s", Duration.ZERO, Duration.ofMinutes(10)),
                r.string("soak.nodeHeap", "512m", "[0-9]+[kmgKMG]?"),
                r.string("soak.nodeLeakDetection", "paranoid", "(?i)disabled|simple|advanced|paranoid"),
                r.bytes("soak.heapMargin", "8m"),
                r.bytes("soak.directMargin", "4m"),
                r.integer("soak.threadMargin", 3, 0, 1000),
                r.integer("soak.fdMargin", 4, 0, 1000),
                r.longValue("soak.seed", 20251125L));
        if (s.churnLifeMin().compareTo(s.churnLifeMax()) > 0) {
            problems.add("soak.churnLifeMin: " + s.churnLifeMin() + " (expected: at most soak.churnLifeMax, "
                    + s.churnLifeMax() + ")");
        }
        if (s.conversationsPerUser() > s.conversations()) {
            problems.add("soak.conversationsPerUser: " + s.conversationsPerUser()
                    + " (expected: at most soak.conversations, " + s.conversations() + ")");
        }
        if (s.outage().compareTo(s.duration().dividedBy(2)) >= 0) {
            problems.add("soak.outage: " + s.outage() + " (expected: less than half of soak.duration)");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("bad soak settings: " + String.join("; ", problems));
        }
        return s;
    }

    /** One line per setting, for the report. */
    String describe() {
        return String.format(
                Locale.ROOT,
                "duration=%s cohort=%d conversations=%d conversationsPerUser=%d "
                        + "churnPerSecond=%.1f churnUsers=%d churnLife=%s..%s churnMessagesMax=%d "
                        + "messagesPerSecond=%.1f messageChars=%d outage=%s nodeHeap=%s nodeLeakDetection=%s "
                        + "margins(heap=%dKiB direct=%dKiB threads=%d fds=%d) seed=%d",
                duration,
                cohort,
                conversations,
                conversationsPerUser,
                churnPerSecond,
                churnUsers,
                churnLifeMin,
                churnLifeMax,
                churnMessagesMax,
                messagesPerSecond,
                messageChars,
                outage,
                nodeHeap,
                nodeLeakDetection,
                heapMargin >> 10,
                directMargin >> 10,
                threadMargin,
                fdMargin,
                seed);
    }

    /** Reads and checks one property at a time, collecting every problem rather than stopping at the first. */
    private record Reader(Properties p, List<String> problems) {
        private String raw(String name, String fallback) {
            return p.getProperty(name, fallback).trim();
        }

        Duration duration(String name, String fallback, Duration min, Duration max) {
            String v = raw(name, fallback);
            try {
                Duration d = parseDuration(v);
                if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                    problems.add(SettingParser.problem(name, v, min + " to " + max));
                }
                return d;
            } catch (SettingParser.BadValue e) {
                problems.add(SettingParser.problem(name, v, e.expected()));
                return min;
            }
        }

        int integer(String name, int fallback, int min, int max) {
            return (int) longValue(name, fallback, min, max);
        }

        long longValue(String name, long fallback) {
            return longValue(name, fallback, Long.MIN_VALUE, Long.MAX_VALUE);
        }

        private long longValue(String name, long fallback, long min, long max) {
            String v = raw(name, Long.toString(fallback));
            try {
                return SettingParser.integer(v, min, max);
            } catch (SettingParser.BadValue e) {
                problems.add(SettingParser.problem(name, v, e.expected()));
                return fallback;
            }
        }

        double decimal(String name, double fallback, double min, double max) {
            String v = raw(name, Double.toString(fallback));
            try {
                double n = Double.parseDouble(v);
                if (!(n >= min && n <= max)) {
                    problems.add(SettingParser.problem(name, v, min + " to " + max));
                }
                return n;
            } catch (NumberFormatException e) {
                problems.add(SettingParser.problem(name, v, "a number"));
                return fallback;
            }
        }

        String string(String name, String fallback, String pattern) {
            String v = raw(name, fallback);
            if (!v.matches(pattern)) {
                problems.add(SettingParser.problem(name, v, pattern));
            }
            return v;
        }

        long bytes(String name, String fallback) {
            String v = raw(name, fallback);
            try {
                return SettingParser.bytes(v);
            } catch (SettingParser.BadValue e) {
                problems.add(SettingParser.problem(name, v, e.expected()));
                return 0;
            }
        }
    }

    /** {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h}: the gateway's own duration syntax. */
    static Duration parseDuration(String v) {
        return SettingParser.duration(v, "a duration such as 500ms, 30s, 10m, 1h");
    }
}
