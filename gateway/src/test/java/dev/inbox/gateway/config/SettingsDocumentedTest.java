package dev.inbox.gateway.config;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's configuration table is what users read: every setting must be in it, flag and variable. */
class SettingsDocumentedTest {

    @Test
    void everySettingIsInTheReadmeConfigurationTable() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        for (Setting s : Setting.values()) {
            assertTrue(readme.contains("| `--" + s.flag() + "` | `" + s.env() + "` |"),
                    "README.md lacks the row for --" + s.flag() + " / " + s.env());
        }
    }
}
