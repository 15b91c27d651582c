package dev.inbox.gateway.testing;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The verdicts of one agent in an Autobahn|Testsuite {@code index.json}, and the rule this project holds them to.
 * A case passes when its {@code behavior} is OK, NON-STRICT or INFORMATIONAL (what the suite itself counts as
 * conforming; NON-STRICT means "allowed by the RFC, not the strictest reading") and its {@code behaviorClose} is
 * OK or INFORMATIONAL. The second half is the point of reading the report: the suite's runner only looks at
 * {@code behavior}, so a case that answers correctly and then closes with the wrong code, or never closes cleanly,
 * would pass it.
 *
 * <p>The file: {@code {"<agent>": {"1.1.1": {"behavior": "OK", "behaviorClose": "OK", "duration": 2,
 * "remoteCloseCode": 1000, "reportfile": "..."}, ...}}}.
 */
public final class AutobahnReport {
    static final Set<String> PASSING_BEHAVIOR = Set.of("OK", "NON-STRICT", "INFORMATIONAL");
    static final Set<String> PASSING_CLOSE = Set.of("OK", "INFORMATIONAL");

    /** One case's verdicts; {@code remoteCloseCode} is -1 when the server sent none. */
    public record Case(String id, String behavior, String behaviorClose, long durationMillis, int remoteCloseCode) {
        /** The first number of the id: "6" for 6.4.3, "10" for 10.1.1. */
        public String group() {
            int dot = id.indexOf('.');
            return dot < 0 ? id : id.substring(0, dot);
        }

        boolean passes() {
            return PASSING_BEHAVIOR.contains(behavior) && PASSING_CLOSE.contains(behaviorClose);
        }
    }

    private final List<Case> cases;

    private AutobahnReport(List<Case> cases) {
        this.cases = cases;
    }

    /**
     * Reads {@code agent}'s cases from {@code indexJson}.
     *
     * @throws IOException when the file is missing or malformed, or has no entry for {@code agent}
     */
    public static AutobahnReport read(Path indexJson, String agent) throws IOException {
        List<Case> cases = null;
        try (JsonParser p = new JsonFactory().createParser(Files.newInputStream(indexJson))) {
            expect(p, JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                expect(p, JsonToken.START_OBJECT);
                if (name.equals(agent)) {
                    cases = readCases(p);
                } else {
                    p.skipChildren();
                }
            }
        }
        if (cases == null) {
            throw new IOException(indexJson + ": no results for agent " + agent);
        }
        cases.sort(Comparator.comparing(Case::id, AutobahnReport::compareIds));
        return new AutobahnReport(Collections.unmodifiableList(cases));
    }

    private static List<Case> readCases(JsonParser p) throws IOException {
        List<Case> cases = new ArrayList<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String id = p.currentName();
            expect(p, JsonToken.START_OBJECT);
            String behavior = null;
            String behaviorClose = null;
            long duration = -1;
            int remoteCloseCode = -1;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "behavior" -> behavior = p.getValueAsString();
                    case "behaviorClose" -> behaviorClose = p.getValueAsString();
                    case "duration" -> duration = p.getValueAsLong(-1);
                    case "remoteCloseCode" ->
                        remoteCloseCode = value == JsonToken.VALUE_NULL ? -1 : p.getValueAsInt(-1);
                    default -> p.skipChildren();
                }
            }
            if (behavior == null || behaviorClose == null) {
                throw new IOException("case " + id + " has no behavior or behaviorClose");
            }
            cases.add(new Case(id, behavior, behaviorClose, duration, remoteCloseCode));
        }
        return cases;
    }

    private static void expect(JsonParser p, JsonToken token) throws IOException {
        JsonToken t = p.nextToken();
        if (t != token) {
            throw new IOException("expected " + token + " at " + p.currentLocation() + ", found " + t);
        }
    }

    /** Orders "9.10.1" after "9.2.1": numerically, part by part. */
    static int compareIds(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = Integer.compare(Integer.parseInt(x[i]), Integer.parseInt(y[i]));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    }

    /** Every case, in id order. */
    public List<Case> cases() {
        return cases;
    }

    /** The cases that break the rule in the class doc, one line each; empty when all pass. */
    public List<String> violations() {
        List<String> out = new ArrayList<>();
        for (Case c : cases) {
            if (!c.passes()) {
                out.add(c.id() + ": behavior=" + c.behavior() + " behaviorClose=" + c.behaviorClose()
                        + " remoteCloseCode=" + (c.remoteCloseCode() < 0 ? "none" : c.remoteCloseCode()));
            }
        }
        return out;
    }

    /** Number of cases per group ("1" to "10"), in group order. */
    public Map<String, Integer> casesPerGroup() {
        Map<String, Integer> out = new TreeMap<>(AutobahnReport::compareIds);
        for (Case c : cases) {
            out.merge(c.group(), 1, Integer::sum);
        }
        return out;
    }

    /** Number of cases per {@code behavior} verdict, then per {@code behaviorClose} verdict, for the log. */
    public String summary() {
        Map<String, Integer> behavior = new TreeMap<>();
        Map<String, Integer> close = new TreeMap<>();
        long millis = 0;
        for (Case c : cases) {
            behavior.merge(c.behavior(), 1, Integer::sum);
            close.merge(c.behaviorClose(), 1, Integer::sum);
            millis += Math.max(0, c.durationMillis());
        }
        return cases.size() + " cases " + casesPerGroup() + ", behavior " + behavior + ", behaviorClose " + close + ", "
                + millis + " ms in cases";
    }
}
