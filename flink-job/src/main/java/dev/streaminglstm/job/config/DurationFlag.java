package dev.streaminglstm.job.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads and writes durations the way flags spell them: a whole number and a unit, {@code 500ms 30s 10min 2h 1d}. */
final class DurationFlag {

    private static final Pattern FORM = Pattern.compile("(\\d{1,12})(ms|s|min|h|d)");

    private DurationFlag() {}

    /** The duration that {@code text} spells, or {@code null} if it is not of the form above. */
    static Duration parse(String text) {
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            return null;
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "min" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
    }

    /** The shortest spelling {@link #parse} reads back to exactly {@code duration} (its millisecond part). */
    static String format(Duration duration) {
        long ms = duration.toMillis();
        if (ms % 86_400_000L == 0 && ms != 0) {
            return ms / 86_400_000L + "d";
        }
        if (ms % 3_600_000L == 0 && ms != 0) {
            return ms / 3_600_000L + "h";
        }
        if (ms % 60_000L == 0 && ms != 0) {
            return ms / 60_000L + "min";
        }
        if (ms % 1_000L == 0 && ms != 0) {
            return ms / 1_000L + "s";
        }
        return ms + "ms";
    }
}
