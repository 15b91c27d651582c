package dev.inbox.gateway.config;

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
 * The configuration table in docs/operations.md is what operators read, so it is {@link Setting}, row for row: each
 * flag with its variable, its default and its description, in the enum's order, and nothing else. On a mismatch the
 * failure shows the whole table to paste.
 */
class SettingsDocumentedTest {
    static final Path DOC = Path.of("..", "docs", "operations.md");
    static final String HEADER = "| flag | environment | default | description |";

    @Test
    void theConfigurationTableIsSettingRowForRow() throws IOException {
        List<String> expected = new ArrayList<>();
        for (Setting s : Setting.values()) {
            expected.add(row(s));
        }
        List<String> documented = tableAfter(Files.readAllLines(DOC, StandardCharsets.UTF_8), HEADER);
        assertEquals(
                String.join("\n", expected),
                String.join("\n", documented),
                DOC + ": the table under '" + HEADER + "' must be exactly (paste it):\n" + HEADER
                        + "\n|---|---|---|---|\n" + String.join("\n", expected) + "\n");
    }

    /** One row: {@code | `--flag` | `ENV` | default | description |}, a {@code |} in a cell escaped. */
    static String row(Setting s) {
        return "| `--" + s.flag() + "` | `" + s.env() + "` | " + cell(s.defaultValue()) + " | " + cell(s.description())
                + " |";
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }

    /** The rows of the table whose header line is {@code header}, without the header and its separator. */
    static List<String> tableAfter(List<String> lines, String header) {
        int at = lines.indexOf(header);
        assertTrue(at >= 0, DOC + " has no table headed " + header);
        assertTrue(at + 1 < lines.size() && lines.get(at + 1).startsWith("|---"), "no separator under " + header);
        List<String> rows = new ArrayList<>();
        for (int i = at + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            rows.add(lines.get(i));
        }
        return rows;
    }
}
