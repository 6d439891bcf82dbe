package dev.streaminglstm.sandbox;

import dev.streaminglstm.sandbox.SandboxStatus.PublishedVersion;
import dev.streaminglstm.sandbox.SandboxStatus.StreamSample;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The sandbox's live view in a terminal. On a terminal ({@link Style#ANSI}) it redraws one block of lines in place:
 * input and training rates, the model version and its loss falling (first published, now, and a sparkline of the
 * recent versions), prediction and dead-letter counts, and a few streams' recent text followed by the model's
 * continuation. Elsewhere ({@link Style#PLAIN}, for logs and CI) it appends one status line per refresh and one
 * stream's text, the streams taking turns. Lines are cut to the terminal width; control characters in the text are
 * shown as visible symbols so they cannot move the cursor.
 */
public final class LiveView implements SandboxView {

    /** How the view writes. */
    public enum Style {
        /** Redraws in place with ANSI escape sequences; for terminals. */
        ANSI,
        /** Appends plain lines; for logs. */
        PLAIN
    }

    private static final String SPARKS = "▁▂▃▄▅▆▇█";
    private static final int SPARKLINE_VERSIONS = 24;
    private static final String CONTINUATION_MARK = " ▸ ";
    private static final String ESC = "\u001b[";

    private final PrintWriter out;
    private final Style style;
    private final int width;
    private final String title;
    private final Clock clock;
    private int linesDrawn;
    private int turn;

    /**
     * @param width columns to fit lines into
     * @param title what runs, for the first line, e.g. {@code europarl · 16 streams}
     */
    public LiveView(PrintWriter out, Style style, int width, String title, Clock clock) {
        if (width < 40) {
            throw new IllegalArgumentException("a live view needs at least 40 columns, got " + width);
        }
        this.out = out;
        this.style = style;
        this.width = width;
        this.title = title;
        this.clock = clock;
    }

    @Override
    public void show(SandboxStatus status) {
        List<String> lines = render(status, clock.instant());
        StringBuilder frame = new StringBuilder();
        if (style == Style.ANSI) {
            frame.append(ESC).append("?7l"); // no line wrapping: a long line must not push the block down
            if (linesDrawn > 0) {
                frame.append(ESC).append(linesDrawn).append('F');
            }
            for (String line : lines) {
                frame.append(ESC).append("2K").append(line).append('\n');
            }
            frame.append(ESC).append('J').append(ESC).append("?7h");
            linesDrawn = lines.size();
        } else {
            lines.forEach(line -> frame.append(line).append(System.lineSeparator()));
        }
        out.print(frame);
        out.flush();
    }

    @Override
    public void note(String message) {
        out.println(fit(message));
        out.flush();
        linesDrawn = 0; // the next frame starts below the note
    }

    /** The lines of one refresh; {@code now} dates the newest model version. */
    List<String> render(SandboxStatus s, Instant now) {
        Optional<PublishedVersion> newest = s.newest();
        String version = newest.map(v -> "v" + v.version() + ", " + age(v.createdAt(), now) + " old")
                .orElse("none published yet");
        String loss = loss(s);
        String trainingRate = s.trainingTokensPerSecond().map(r -> String.format(Locale.ROOT, "%,.0f tokens/s", r))
                .orElse("– tokens/s");
        String surprise = s.recentSurprise().map(recent -> s.firstSurprise()
                        .map(first -> String.format(Locale.ROOT, "%.2f → %.2f bits", first, recent))
                        .orElse(String.format(Locale.ROOT, "%.2f bits", recent))).orElse("–");
        String prequential = prequential(s.prequential());
        List<String> lines = new ArrayList<>();
        if (style == Style.PLAIN) {
            lines.add(fit(String.format(Locale.ROOT,
                    "[%s] input %,.0f B/s (%,d B, %d in flight) · training %s (%,d tokens) · model %s · loss %s"
                            + " · prequential %s · %,d predictions (+%,d before a model) · surprise %s"
                            + " · %,d dead letters",
                    clock(s.elapsed()), s.bytesPerSecond(), s.bytesSent(), s.chunksInFlight(), trainingRate,
                    s.tokensTrained(), newest.map(v -> "v" + v.version()).orElse("–"), loss, prequential,
                    s.predictions(), s.noModel(), surprise, s.deadLetters())));
            if (!s.samples().isEmpty()) {
                StreamSample sample = s.samples().get(turn++ % s.samples().size());
                lines.add(sampleLine("[" + clock(s.elapsed()) + "]   ", sample));
            }
            return lines;
        }
        lines.add(fit(bold("streaming-lstm sandbox") + " · " + clock(s.elapsed()) + " · " + title
                        + " · Ctrl-C stops",
                bold("").length()));
        lines.add(fit(String.format(Locale.ROOT,
                "  input     %,7.0f B/s      %,d bytes sent, chunks awaiting a prediction: %d",
                s.bytesPerSecond(), s.bytesSent(), s.chunksInFlight())));
        lines.add(fit(String.format(Locale.ROOT, "  training  %14s  %,d tokens trained", trainingRate,
                s.tokensTrained())));
        lines.add(fit("  model     " + version + " · loss " + loss + "  " + sparkline(s.versions())));
        lines.add(fit(String.format(Locale.ROOT, "  live      prequential %s: each byte scored before the model "
                + "saw it (%,d tokens)", prequential, s.prequential().tokens())));
        lines.add(fit(String.format(Locale.ROOT, "  output    %,d predictions (%,d before the first model) · "
                + "surprise %s · %,d dead letters", s.predictions(), s.noModel(), surprise, s.deadLetters())));
        for (StreamSample sample : s.samples()) {
            lines.add(sampleLine("  ", sample));
        }
        return lines;
    }

    /** {@code m:ss}, or {@code h:mm:ss} from an hour on. */
    static String clock(Duration d) {
        long seconds = d.toSeconds();
        return seconds >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
                : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }

    /** The text's characters made visible: line breaks as ⏎, tabs as →, other controls as ·. */
    static String visible(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '\n' || cp == '\r') {
                b.append('⏎');
            } else if (cp == '\t') {
                b.append('→');
            } else if (Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT
                    || Character.isSurrogate((char) cp) && cp < 0x10000) {
                b.append('·');
            } else {
                b.appendCodePoint(cp);
            }
        }
        return b.toString();
    }

    private String sampleLine(String prefix, StreamSample sample) {
        String head = prefix + sample.streamId() + "  ";
        String continuation = visible(sample.continuation());
        int room = width - columns(head) - columns(CONTINUATION_MARK) - 1;
        int continuationRoom = Math.min(columns(continuation), room / 2);
        continuation = continuation.substring(0, continuation.offsetByCodePoints(0, continuationRoom));
        String text = tail(visible(sample.recentText()), room - continuationRoom);
        String shown = style == Style.ANSI
                ? text + ESC + "2m" + CONTINUATION_MARK + ESC + "0;32m" + continuation + ESC + "0m"
                : text + CONTINUATION_MARK + continuation;
        return head + shown;
    }

    private static String tail(String text, int columns) {
        int n = columns(text);
        if (n <= columns) {
            return text;
        }
        return "…" + text.substring(text.offsetByCodePoints(0, n - columns + 1));
    }

    private String fit(String line) {
        return fit(line, 0);
    }

    /** {@code line} cut to the width; {@code invisible} of its characters are escape codes that take no column. */
    private String fit(String line, int invisible) {
        int max = width - 1 + invisible;
        return columns(line) <= max ? line : line.substring(0, line.offsetByCodePoints(0, max - 1)) + "…";
    }

    private String bold(String text) {
        return style == Style.ANSI ? ESC + "1m" + text + ESC + "0m" : text;
    }

    private static int columns(String text) {
        return text.codePointCount(0, text.length());
    }

    private static String loss(SandboxStatus s) {
        Optional<Double> first = s.firstWithLoss().flatMap(PublishedVersion::lossBpc);
        Optional<Double> now = s.newest().flatMap(PublishedVersion::lossBpc);
        if (now.isEmpty()) {
            return "–";
        }
        return first.isPresent() && s.firstWithLoss().get().version() != s.newest().get().version()
                ? String.format(Locale.ROOT, "%.2f → %.2f bpc", first.get(), now.get())
                : String.format(Locale.ROOT, "%.2f bpc", now.get());
    }

    /** First window → recent window once they are apart, else the recent one. */
    private static String prequential(Prequential.Snapshot p) {
        if (p.recent().isEmpty()) {
            return "–";
        }
        return p.falling() ? String.format(Locale.ROOT, "%.2f → %.2f bpc", p.first().get(), p.recent().get())
                : String.format(Locale.ROOT, "%.2f bpc", p.recent().get());
    }

    private static String sparkline(List<PublishedVersion> versions) {
        List<Double> losses = versions.stream().map(PublishedVersion::lossBpc).flatMap(Optional::stream)
                .filter(Double::isFinite).toList();
        if (losses.size() < 2) {
            return "";
        }
        losses = losses.subList(Math.max(0, losses.size() - SPARKLINE_VERSIONS), losses.size());
        double min = losses.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double max = losses.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        StringBuilder b = new StringBuilder();
        for (double loss : losses) {
            int level = max > min ? (int) Math.round((loss - min) / (max - min) * (SPARKS.length() - 1)) : 0;
            b.append(SPARKS.charAt(level));
        }
        return b.toString();
    }

    private static String age(Instant createdAt, Instant now) {
        long seconds = Math.max(0, Duration.between(createdAt, now).toSeconds());
        return seconds < 120 ? seconds + " s" : seconds / 60 + " min";
    }
}
