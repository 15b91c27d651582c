package dev.inbox.benchmarks.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The load generator's flag table in benchmarks/README.md is {@link Flag}, row for row, as {@code --help} is: each
 * flag with its value, its default and its description, in the enum's order, and nothing else. On a mismatch the
 * failure shows the whole table to paste.
 */
class FlagsDocumentedTest {
    private static final Path DOC = Path.of("README.md");
    private static final String HEADER = "| flag | default | description |";

    @Test
    void theFlagTableIsFlagRowForRow() throws IOException {
        List<String> expected = new ArrayList<>();
        for (Flag f : Flag.values()) {
            expected.add("| `--" + f.name + (f.isSwitch() ? "" : " " + cell(f.value)) + "` | "
                    + (f.defaultValue == null ? "" : cell(f.defaultValue)) + " | " + cell(f.doc) + " |");
        }
        List<String> lines = Files.readAllLines(DOC, StandardCharsets.UTF_8);
        int at = lines.indexOf(HEADER);
        assertTrue(at >= 0, "benchmarks/" + DOC + " has no table headed " + HEADER);
        List<String> documented = new ArrayList<>();
        for (int i = at + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            documented.add(lines.get(i));
        }
        assertEquals(
                String.join("\n", expected),
                String.join("\n", documented),
                "benchmarks/" + DOC + ": the table under '" + HEADER + "' must be exactly (paste it):\n" + HEADER
                        + "\n|---|---|---|\n" + String.join("\n", expected) + "\n");
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }
}
