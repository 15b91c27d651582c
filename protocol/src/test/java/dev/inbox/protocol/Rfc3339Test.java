package dev.inbox.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Rfc3339#format} against java.time, which is the reference for every value here. */
class Rfc3339Test {
    private static final DateTimeFormatter REFERENCE =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final long MIN = Instant.parse("0000-01-01T00:00:00.000Z").toEpochMilli();
    private static final long MAX = Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli();
    private static final long MILLIS_PER_DAY = 86_400_000L;

    @ParameterizedTest
    @CsvSource({
        "0,                      1970-01-01T00:00:00.000Z",
        "1,                      1970-01-01T00:00:00.001Z",
        "-1,                     1969-12-31T23:59:59.999Z",
        "-86400000,              1969-12-31T00:00:00.000Z",
        "-86400001,              1969-12-30T23:59:59.999Z",
        "1736937000000,          2025-01-15T10:30:00.000Z",
        "951782400000,           2000-02-29T00:00:00.000Z",
        "951868799999,           2000-02-29T23:59:59.999Z",
        "1709164800000,          2024-02-29T00:00:00.000Z",
        "946684799999,           1999-12-31T23:59:59.999Z",
        "-62167219200000,        0000-01-01T00:00:00.000Z",
        "253402300799999,        9999-12-31T23:59:59.999Z",
        "1234567890123,          2009-02-13T23:31:30.123Z"
    })
    void knownInstantsAreFormattedExactly(long epochMillis, String expected) {
        assertEquals(expected, format(epochMillis));
        assertEquals(expected, Rfc3339.text(epochMillis), "the string form is the same text");
        assertEquals(expected, REFERENCE.format(Instant.ofEpochMilli(epochMillis)), "the reference agrees");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "2000-02-29",
                "2024-02-29",
                "1972-02-29",
                "1968-02-29",
                "1904-02-29",
                "1600-02-29",
                "0400-02-29",
                "0000-02-29",
                "9996-02-29",
                "1900-02-28",
                "1900-03-01",
                "2100-02-28",
                "2100-03-01",
                "2000-03-01",
                "2024-03-01",
                "1970-01-01",
                "1969-12-31",
                "2038-01-19",
                "9999-12-31",
                "0000-01-01",
                "0001-01-01",
                "0399-12-31",
                "1582-10-15",
                "1582-10-04"
            })
    void dayBoundariesAroundLeapDaysCenturiesAndTheEpochMatchJavaTime(String day) {
        long start =
                LocalDate.parse(day).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        for (long millis : new long[] {
            start - 1,
            start,
            start + 1,
            start + 999,
            start + 1000,
            start + 12 * 3_600_000L + 34 * 60_000L + 56_789,
            start + MILLIS_PER_DAY - 1
        }) {
            if (millis >= MIN && millis <= MAX) {
                matchesJavaTime(millis);
            }
        }
    }

    @Test
    void everyDayFrom1900To2101MatchesJavaTime() {
        SplittableRandom random = new SplittableRandom(1900);
        long first = LocalDate.of(1900, 1, 1).toEpochDay();
        long last = LocalDate.of(2101, 1, 1).toEpochDay();
        for (long day = first; day <= last; day++) {
            matchesJavaTime(day * MILLIS_PER_DAY);
            matchesJavaTime(day * MILLIS_PER_DAY + MILLIS_PER_DAY - 1);
            matchesJavaTime(day * MILLIS_PER_DAY + random.nextLong(MILLIS_PER_DAY));
        }
    }

    @Test
    void randomInstantsFromYear0To9999MatchJavaTime() {
        SplittableRandom random = new SplittableRandom(20_250_115L);
        for (int i = 0; i < 200_000; i++) {
            matchesJavaTime(random.nextLong(MIN, MAX + 1));
        }
    }

    @Test
    void randomInstantsNearTheEpochMatchJavaTime() {
        SplittableRandom random = new SplittableRandom(-1L);
        for (int i = 0; i < 100_000; i++) {
            matchesJavaTime(random.nextLong(-10 * 365 * MILLIS_PER_DAY, 10 * 365 * MILLIS_PER_DAY));
        }
    }

    @Test
    void firstAndLastMillisecondOfTheRangeMatchJavaTime() {
        matchesJavaTime(MIN);
        matchesJavaTime(MAX);
        assertEquals("0000-01-01T00:00:00.000Z", format(MIN));
        assertEquals("9999-12-31T23:59:59.999Z", format(MAX));
    }

    @Test
    void writesExactlyTwentyFourCharactersAndNothingBeyond() {
        assertEquals(24, Rfc3339.LENGTH);
        char[] out = new char[Rfc3339.LENGTH + 8];
        Arrays.fill(out, '#');
        Rfc3339.format(1_736_937_000_000L, out);
        assertEquals("2025-01-15T10:30:00.000Z########", new String(out));
    }

    @Test
    void reusedBufferIsFullyOverwritten() {
        char[] out = new char[Rfc3339.LENGTH];
        Rfc3339.format(MAX, out);
        Rfc3339.format(0, out);
        assertEquals("1970-01-01T00:00:00.000Z", new String(out));
    }

    private static void matchesJavaTime(long epochMillis) {
        String expected = REFERENCE.format(Instant.ofEpochMilli(epochMillis));
        String actual = format(epochMillis);
        if (!expected.equals(actual)) {
            assertEquals(expected, actual, "epoch millis " + epochMillis);
        }
    }

    private static String format(long epochMillis) {
        char[] out = new char[Rfc3339.LENGTH];
        Rfc3339.format(epochMillis, out);
        return new String(out);
    }
}
