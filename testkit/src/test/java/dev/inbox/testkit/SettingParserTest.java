package dev.inbox.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SettingParserTest {
    private static final String EXPECTED = "a duration such as 500ms, 20s or 2m";

    @Test
    void durationsTakeMillisecondsFractionalSecondsMinutesAndHours() {
        assertEquals(Duration.ofMillis(500), SettingParser.duration("500ms", EXPECTED));
        assertEquals(Duration.ofMillis(1500), SettingParser.duration("1.5s", EXPECTED));
        assertEquals(Duration.ofSeconds(30), SettingParser.duration(" 30S ", EXPECTED));
        assertEquals(Duration.ofMinutes(10), SettingParser.duration("10m", EXPECTED));
        assertEquals(Duration.ofHours(1), SettingParser.duration("1h", EXPECTED));
        assertEquals(Duration.ZERO, SettingParser.duration("0s", EXPECTED));
    }

    @Test
    void aBadDurationSaysWhatTheCallerExpected() {
        for (String bad : new String[] {"20", "s", "1.5m", "ten s", ""}) {
            SettingParser.BadValue e =
                    assertThrows(SettingParser.BadValue.class, () -> SettingParser.duration(bad, EXPECTED), bad);
            assertEquals(EXPECTED, e.expected());
        }
    }

    @Test
    void integersAreBoundedAndABadOneSaysTheBounds() {
        assertEquals(7, SettingParser.integer("7", 1, 10));
        assertEquals(
                "1 to 10",
                assertThrows(SettingParser.BadValue.class, () -> SettingParser.integer("0", 1, 10))
                        .expected());
        assertEquals(
                "an integer, 1 to 10",
                assertThrows(SettingParser.BadValue.class, () -> SettingParser.integer("x", 1, 10))
                        .expected());
        assertEquals(
                "an integer",
                assertThrows(
                                SettingParser.BadValue.class,
                                () -> SettingParser.integer("1.5", Long.MIN_VALUE, Long.MAX_VALUE))
                        .expected());
    }

    @Test
    void byteSizesTakeKMAndG() {
        assertEquals(4096, SettingParser.bytes("4096"));
        assertEquals(512L << 10, SettingParser.bytes("512k"));
        assertEquals(8L << 20, SettingParser.bytes("8M"));
        assertEquals(1L << 30, SettingParser.bytes("1g"));
        assertThrows(SettingParser.BadValue.class, () -> SettingParser.bytes("8mb"));
    }

    @Test
    void aProblemIsOneLineNamingTheSettingTheValueAndWhatWasExpected() {
        assertEquals("--users: 0 (expected: 1 to 10)", SettingParser.problem("--users", "0", "1 to 10"));
        assertEquals("soak.cohort: x (expected: an integer)", SettingParser.problem("soak.cohort", "x", "an integer"));
    }
}
