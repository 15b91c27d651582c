package dev.inbox.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The check AutobahnIT applies to the suite's {@code index.json}, pointed at doctored copies of a real one: each
 * verdict the rule forbids must fail it, including a bad close behind an OK behaviour, which the suite's own runner
 * lets through.
 */
class AutobahnReportTest {
    /** Entries as the fuzzing client writes them (from a run against the gateway), with a second agent beside. */
    private static final String REAL = """
            {
               "other-agent": {
                  "1.1.1": {"behavior": "FAILED", "behaviorClose": "FAILED", "duration": 1, "remoteCloseCode": null,
                            "reportfile": "other_agent_case_1_1_1.json"}
               },
               "inbox-gateway": {
                  "1.1.1": {
                     "behavior": "OK",
                     "behaviorClose": "OK",
                     "duration": 3,
                     "remoteCloseCode": 1000,
                     "reportfile": "inbox_gateway_case_1_1_1.json"
                  },
                  "10.1.1": {
                     "behavior": "OK",
                     "behaviorClose": "OK",
                     "duration": 14,
                     "remoteCloseCode": 1000,
                     "reportfile": "inbox_gateway_case_10_1_1.json"
                  },
                  "6.4.3": {
                     "behavior": "NON-STRICT",
                     "behaviorClose": "OK",
                     "duration": 2004,
                     "remoteCloseCode": 1007,
                     "reportfile": "inbox_gateway_case_6_4_3.json"
                  },
                  "9.10.1": {
                     "behavior": "OK",
                     "behaviorClose": "OK",
                     "duration": 40,
                     "remoteCloseCode": 1000,
                     "reportfile": "inbox_gateway_case_9_10_1.json"
                  },
                  "9.2.1": {
                     "behavior": "OK",
                     "behaviorClose": "OK",
                     "duration": 9,
                     "remoteCloseCode": 1000,
                     "reportfile": "inbox_gateway_case_9_2_1.json"
                  },
                  "7.1.6": {
                     "behavior": "INFORMATIONAL",
                     "behaviorClose": "INFORMATIONAL",
                     "duration": 21,
                     "remoteCloseCode": 1000,
                     "reportfile": "inbox_gateway_case_7_1_6.json"
                  }
               }
            }
            """;

    @TempDir
    Path dir;

    private AutobahnReport read(String json) throws IOException {
        Path file = dir.resolve("index.json");
        Files.writeString(file, json);
        return AutobahnReport.read(file, "inbox-gateway");
    }

    /** The real report with one verdict of one case replaced. */
    private static String doctored(String caseId, String field, String verdict) {
        return doctoredValue(caseId, field, "\"" + verdict + "\"");
    }

    /** The real report with one field of one case set to {@code json}. */
    private static String doctoredValue(String caseId, String field, String json) {
        int at = REAL.indexOf("\"" + caseId + "\": {", REAL.indexOf("\"inbox-gateway\""));
        int valueStart = REAL.indexOf("\"" + field + "\": ", at) + field.length() + 4;
        int valueEnd = REAL.indexOf(',', valueStart);
        return REAL.substring(0, valueStart) + json + REAL.substring(valueEnd);
    }

    @Test
    void conformingReportHasNoViolations() throws IOException {
        AutobahnReport report = read(REAL);

        assertEquals(List.of(), report.violations());
        assertEquals(6, report.cases().size(), "only the named agent's cases");
        assertEquals(
                List.of("1.1.1", "6.4.3", "7.1.6", "9.2.1", "9.10.1", "10.1.1"),
                report.cases().stream().map(AutobahnReport.Case::id).toList(),
                "numeric id order");
        assertEquals(Map.of("1", 1, "6", 1, "7", 1, "9", 2, "10", 1), report.casesPerGroup());
        assertEquals(1007, report.cases().get(1).remoteCloseCode());
    }

    @ParameterizedTest(name = "{0} {1}={2}")
    @CsvSource({
        "1.1.1, behavior, FAILED",
        "10.1.1, behavior, UNIMPLEMENTED",
        "6.4.3, behavior, WRONG CODE",
        "9.2.1, behavior, UNCLEAN",
        // The suite's runner passes these: their behavior is OK. Only the close verdict is wrong.
        "1.1.1, behaviorClose, FAILED",
        "9.10.1, behaviorClose, WRONG CODE",
        "6.4.3, behaviorClose, UNCLEAN",
        "7.1.6, behaviorClose, NON-STRICT",
    })
    void forbiddenVerdictIsAViolation(String caseId, String field, String verdict) throws IOException {
        List<String> violations = read(doctored(caseId, field, verdict)).violations();

        assertEquals(1, violations.size(), violations::toString);
        assertTrue(
                violations.get(0).startsWith(caseId + ": ") && violations.get(0).contains(field + "=" + verdict),
                violations.get(0));
    }

    @Test
    void nullCloseCodeReadsAsNone() throws IOException {
        AutobahnReport report = read(doctoredValue("1.1.1", "remoteCloseCode", "null"));

        assertEquals(-1, report.cases().get(0).remoteCloseCode());
        assertEquals(List.of(), report.violations(), "a missing close code is for the verdicts to judge");
    }

    @Test
    void reportWithoutTheAgentIsAnError() throws IOException {
        Path file = dir.resolve("index.json");
        Files.writeString(file, REAL.replace("\"inbox-gateway\"", "\"someone-else\""));

        IOException e = assertThrows(IOException.class, () -> AutobahnReport.read(file, "inbox-gateway"));
        assertTrue(e.getMessage().contains("no results for agent inbox-gateway"), e.getMessage());
    }

    @Test
    void caseWithoutACloseVerdictIsAnError() {
        assertThrows(IOException.class, () -> read(REAL.replace("\"behaviorClose\": \"OK\",", "")));
    }

    @Test
    void missingOrTruncatedReportIsAnError() {
        assertThrows(NoSuchFileException.class, () -> AutobahnReport.read(dir.resolve("index.json"), "inbox-gateway"));
        assertThrows(IOException.class, () -> read(REAL.substring(0, REAL.length() / 2)));
    }
}
