package dev.inbox.testkit;

import java.time.Duration;
import java.util.Locale;

/**
 * Reads the values of the soak's {@code -Dsoak.*} settings and the load generator's {@code --flags}: durations,
 * bounded integers and byte sizes, each either parsed or refused with what was expected, and the one line a bad
 * value is reported in, {@code name: value (expected: what)}. Each caller keeps its own names, defaults and bounds;
 * this is how a value is read, once.
 */
public final class SettingParser {
    private SettingParser() {}

    /** A value that is not what its setting takes; the message says what was expected. */
    public static final class BadValue extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        BadValue(String expected) {
            super(expected);
        }

        /** What was expected, e.g. {@code 1 to 100}. */
        public String expected() {
            return getMessage();
        }
    }

    /** The one-line report of a bad value: {@code name: value (expected: what)}. */
    public static String problem(String name, String value, String expected) {
        return name + ": " + value + " (expected: " + expected + ")";
    }

    /**
     * {@code 500ms}, {@code 1.5s}, {@code 30s}, {@code 10m}, {@code 1h} (the gateway's own duration syntax, and
     * fractional seconds), case and surrounding blanks ignored.
     *
     * @throws BadValue with {@code expected} as its message when {@code text} is none of those
     */
    public static Duration duration(String text, String expected) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            }
            if (s.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
            }
            if (s.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
            }
            if (s.endsWith("h")) {
                return Duration.ofHours(Long.parseLong(s.substring(0, s.length() - 1)));
            }
        } catch (NumberFormatException e) {
            throw new BadValue(expected);
        }
        throw new BadValue(expected);
    }

    /**
     * A whole number from {@code min} to {@code max}.
     *
     * @throws BadValue {@code min to max} when out of range, {@code an integer, min to max} (unbounded:
     *                  {@code an integer}) when not a number
     */
    public static long integer(String text, long min, long max) {
        long n;
        try {
            n = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new BadValue(
                    min == Long.MIN_VALUE && max == Long.MAX_VALUE
                            ? "an integer"
                            : "an integer, " + min + " to " + max);
        }
        if (n < min || n > max) {
            throw new BadValue(min + " to " + max);
        }
        return n;
    }

    /**
     * A size in bytes: {@code 4096}, {@code 512k}, {@code 8m}, {@code 1g}.
     *
     * @throws BadValue when it is not one
     */
    public static long bytes(String text) {
        String v = text.trim();
        if (!v.matches("[0-9]+[kmgKMG]?")) {
            throw new BadValue("bytes such as 512k, 8m, 1g");
        }
        int shift = switch (Character.toLowerCase(v.charAt(v.length() - 1))) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        return Long.parseLong(shift == 0 ? v : v.substring(0, v.length() - 1)) << shift;
    }
}
