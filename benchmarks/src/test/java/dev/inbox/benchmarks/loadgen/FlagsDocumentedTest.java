package dev.inbox.benchmarks.loadgen;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's "Load generator" section lists every flag with its default, as {@code --help} does. */
class FlagsDocumentedTest {

    @Test
    void everyFlagIsInTheReadmeWithItsDefault() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        int from = readme.indexOf("### Load generator");
        assertTrue(from >= 0, "README has no 'Load generator' section");
        String section = readme.substring(from);
        for (Flag f : Flag.values()) {
            String row = "| `--" + f.name + (f.isSwitch() ? "" : " " + f.value.replace("|", "\\|")) + "` | "
                    + (f.defaultValue == null ? "" : f.defaultValue) + " |";
            assertTrue(section.contains(row), "README lacks the row starting " + row);
        }
    }
}
