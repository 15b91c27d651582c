package dev.inbox.protocol;

/**
 * Writes epoch milliseconds as RFC 3339 UTC with milliseconds ({@code 2025-01-15T10:30:00.000Z}), always 24
 * characters, into a caller's {@code char[]}: the encoder calls it once per event, so it allocates nothing.
 * Covers years 0000 to 9999.
 */
public final class Rfc3339 {
    /** Characters written by {@link #format}. */
    static final int LENGTH = 24;

    private static final long MILLIS_PER_DAY = 86_400_000L;

    private Rfc3339() {}

    /** {@code epochMillis} as the event's {@code created_at} text, for the few places that need it as a string. */
    public static String text(long epochMillis) {
        char[] out = new char[LENGTH];
        format(epochMillis, out);
        return new String(out);
    }

    static void format(long epochMillis, char[] out) {
        long days = Math.floorDiv(epochMillis, MILLIS_PER_DAY);
        int millisOfDay = (int) Math.floorMod(epochMillis, MILLIS_PER_DAY);
        // Howard Hinnant's civil_from_days: proleptic Gregorian calendar from days since 1970-01-01.
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long doe = z - era * 146_097;
        long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        int day = (int) (doy - (153 * mp + 2) / 5 + 1);
        int month = (int) (mp < 10 ? mp + 3 : mp - 9);
        int year = (int) (yoe + era * 400 + (month <= 2 ? 1 : 0));

        digits(out, 0, year, 4);
        out[4] = '-';
        digits(out, 5, month, 2);
        out[7] = '-';
        digits(out, 8, day, 2);
        out[10] = 'T';
        digits(out, 11, millisOfDay / 3_600_000, 2);
        out[13] = ':';
        digits(out, 14, millisOfDay / 60_000 % 60, 2);
        out[16] = ':';
        digits(out, 17, millisOfDay / 1000 % 60, 2);
        out[19] = '.';
        digits(out, 20, millisOfDay % 1000, 3);
        out[23] = 'Z';
    }

    private static void digits(char[] out, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            out[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }
}
