package io.gitward.pki;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses lifetimes such as {@code 90s}, {@code 30m}, {@code 24h}, {@code 30d}, {@code 10y} or ISO-8601 {@code PT24H}. */
public final class Ttl {
    private static final Pattern SIMPLE = Pattern.compile("(\\d{1,9})(s|m|h|d|y)");

    private Ttl() {
    }

    public static Duration parse(String option, String value) throws PkiException {
        String expected = " (expected: a positive duration such as 90s, 30m, 24h, 30d, 10y)";
        if (value == null || value.isBlank()) {
            throw new PkiException(option + ": '' " + expected);
        }
        Duration duration;
        Matcher matcher = SIMPLE.matcher(value);
        if (matcher.matches()) {
            long amount = Long.parseLong(matcher.group(1));
            duration = switch (matcher.group(2)) {
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                case "d" -> Duration.ofDays(amount);
                default -> Duration.ofDays(amount * 365);
            };
        } else {
            try {
                duration = Duration.parse(value);
            } catch (DateTimeParseException e) {
                throw new PkiException(option + ": '" + value + "'" + expected);
            }
        }
        if (duration.isZero() || duration.isNegative()) {
            throw new PkiException(option + ": '" + value + "'" + expected);
        }
        return duration;
    }

    /** Renders a duration the way it would be typed: "24h", "30d". */
    public static String format(Duration duration) {
        long seconds = duration.getSeconds();
        if (seconds % 86400 == 0) {
            return seconds / 86400 + "d";
        }
        if (seconds % 3600 == 0) {
            return seconds / 3600 + "h";
        }
        if (seconds % 60 == 0) {
            return seconds / 60 + "m";
        }
        return seconds + "s";
    }
}
