package dev.streaminglstm.cli;

import dev.streaminglstm.cli.ChartCanvas.Anchor;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.function.DoubleFunction;
import java.util.function.ToDoubleFunction;

/**
 * The training report's figure, drawn on any {@link ChartCanvas}: the recent training loss (bits per token) against
 * the version number, the same against the time each version was written, and the tokens trained against time.
 * LATEST and PINNED are marked on the first panel.
 */
final class LossChart {

    /** One version as the chart shows it. */
    record Point(long version, Instant createdAt, Double lossBpc, long tokensTrained) {}

    static final int WIDTH = 1200;
    static final int HEIGHT = 920;

    private static final String BACKGROUND = "#ffffff";
    private static final String INK = "#222222";
    private static final String MUTED = "#666666";
    private static final String GRID = "#e3e3e3";
    private static final String LOSS = "#1f6fb4";
    private static final String TOKENS = "#2a9d5c";
    private static final String LATEST = "#d1495b";
    private static final String PINNED = "#e8a33d";
    private static final int MAX_DOTS = 300;

    private final String title;
    private final String subtitle;
    private final List<Point> points;
    private final OptionalLong latest;
    private final OptionalLong pinned;

    /** A chart of {@code points} (at least one), ascending by version. */
    LossChart(String title, String subtitle, List<Point> points, OptionalLong latest, OptionalLong pinned) {
        if (points.isEmpty()) {
            throw new IllegalArgumentException("a chart needs at least one version");
        }
        this.title = title;
        this.subtitle = subtitle;
        this.points = List.copyOf(points);
        this.latest = latest;
        this.pinned = pinned;
    }

    /** Draws the whole figure, {@value #WIDTH} by {@value #HEIGHT} pixels. */
    void draw(ChartCanvas c) {
        c.rect(0, 0, WIDTH, HEIGHT, BACKGROUND);
        c.text(40, 40, title, 22, true, INK, Anchor.START);
        c.text(40, 66, subtitle, 13, false, MUTED, Anchor.START);

        List<Point> withLoss = points.stream().filter(p -> p.lossBpc() != null).toList();
        Axis versions = Axis.numbers(points.get(0).version(), points.get(points.size() - 1).version(), 8, true,
                v -> Long.toString((long) v));
        Axis time = Axis.time(points.stream().mapToLong(p -> p.createdAt().toEpochMilli()).min().getAsLong(),
                points.stream().mapToLong(p -> p.createdAt().toEpochMilli()).max().getAsLong());
        Axis loss = withLoss.isEmpty() ? Axis.numbers(0, 8, 5, false, LossChart::decimal)
                : Axis.numbers(withLoss.stream().mapToDouble(Point::lossBpc).min().getAsDouble(),
                        withLoss.stream().mapToDouble(Point::lossBpc).max().getAsDouble(), 6, false,
                        LossChart::decimal);
        Axis tokens = Axis.numbers(0, points.stream().mapToLong(Point::tokensTrained).max().getAsLong(), 6, true,
                LossChart::compact);

        Panel byVersion = new Panel(c, 90, 130, 1070, 300, "Recent training loss by version",
                "bits per token", versions, loss, "version");
        byVersion.series(withLoss, p -> p.version(), Point::lossBpc, LOSS);
        markServed(byVersion, withLoss);
        if (withLoss.isEmpty()) {
            byVersion.note("no version records a training loss yet");
        }

        Panel lossOverTime = new Panel(c, 90, 560, 480, 300, "Training loss over time", "bits per token", time,
                loss, "time written (UTC)");
        lossOverTime.series(withLoss, p -> p.createdAt().toEpochMilli(), Point::lossBpc, LOSS);

        Panel tokensOverTime = new Panel(c, 680, 560, 480, 300, "Tokens trained over time", "tokens", time, tokens,
                "time written (UTC)");
        tokensOverTime.series(points, p -> p.createdAt().toEpochMilli(), p -> p.tokensTrained(), TOKENS);
    }

    private void markServed(Panel panel, List<Point> withLoss) {
        for (Point p : withLoss) {
            boolean isLatest = latest.isPresent() && latest.getAsLong() == p.version();
            boolean isPinned = pinned.isPresent() && pinned.getAsLong() == p.version();
            if (isPinned) {
                panel.marker(p.version(), p.lossBpc(), PINNED, isLatest ? "LATEST, PINNED" : "PINNED");
            } else if (isLatest) {
                panel.marker(p.version(), p.lossBpc(), LATEST, "LATEST");
            }
        }
    }

    private static String decimal(double value) {
        return String.format(Locale.ROOT, Math.abs(value) < 10 ? "%.2f" : "%.1f", value);
    }

    private static String compact(double value) {
        double magnitude = Math.abs(value);
        if (magnitude >= 1e9) {
            return trim(value / 1e9) + "G";
        }
        if (magnitude >= 1e6) {
            return trim(value / 1e6) + "M";
        }
        if (magnitude >= 1e3) {
            return trim(value / 1e3) + "k";
        }
        return trim(value);
    }

    private static String trim(double value) {
        String s = String.format(Locale.ROOT, "%.2f", value);
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    /** One plot area with its title, grid, tick labels and axis names. */
    private static final class Panel {
        private final ChartCanvas c;
        private final double left;
        private final double top;
        private final double width;
        private final double height;
        private final Axis x;
        private final Axis y;

        Panel(ChartCanvas c, double left, double top, double width, double height, String title, String yName,
                Axis x, Axis y, String xName) {
            this.c = c;
            this.left = left;
            this.top = top;
            this.width = width;
            this.height = height;
            this.x = x;
            this.y = y;
            c.text(left, top - 34, title, 16, true, INK, Anchor.START);
            c.text(left, top - 12, yName, 12, false, MUTED, Anchor.START);
            for (double tick : y.ticks) {
                double py = py(tick);
                c.line(left, py, left + width, py, GRID, 1, false);
                c.text(left - 8, py + 4, y.label.apply(tick), 12, false, MUTED, Anchor.END);
            }
            for (double tick : x.ticks) {
                double px = px(tick);
                c.line(px, top, px, top + height, GRID, 1, false);
                c.text(px, top + height + 18, x.label.apply(tick), 12, false, MUTED, Anchor.MIDDLE);
            }
            c.line(left, top + height, left + width, top + height, INK, 1, false);
            c.line(left, top, left, top + height, INK, 1, false);
            c.text(left + width, top + height + 38, xName, 12, false, MUTED, Anchor.END);
        }

        <T> void series(List<T> items, ToDoubleFunction<T> xOf, ToDoubleFunction<T> yOf, String color) {
            double[] xs = items.stream().mapToDouble(item -> px(xOf.applyAsDouble(item))).toArray();
            double[] ys = items.stream().mapToDouble(item -> py(yOf.applyAsDouble(item))).toArray();
            if (xs.length > 1) {
                c.polyline(xs, ys, color, 2);
            }
            if (xs.length <= MAX_DOTS) {
                for (int i = 0; i < xs.length; i++) {
                    c.dot(xs[i], ys[i], 3.5, color);
                }
            }
        }

        void marker(double vx, double vy, String color, String label) {
            double px = px(vx);
            double py = py(vy);
            c.line(px, top, px, top + height, color, 1.5, true);
            c.dot(px, py, 7, color);
            c.dot(px, py, 3.5, BACKGROUND);
            boolean leftSide = px > left + width - 120;
            c.text(leftSide ? px - 10 : px + 10, top + 16, label, 12, true, color,
                    leftSide ? Anchor.END : Anchor.START);
        }

        void note(String text) {
            c.text(left + width / 2, top + height / 2, text, 14, false, MUTED, Anchor.MIDDLE);
        }

        private double px(double value) {
            return left + (value - x.min) / (x.max - x.min) * width;
        }

        private double py(double value) {
            return top + height - (value - y.min) / (y.max - y.min) * height;
        }
    }

    /** An axis: its range, the values that get a tick and how a tick is labelled. */
    private record Axis(double min, double max, List<Double> ticks, DoubleFunction<String> label) {

        /** Round ticks about {@code target} in number, covering [low, high]; whole steps if {@code whole}. */
        static Axis numbers(double low, double high, int target, boolean whole, DoubleFunction<String> label) {
            if (high <= low) {
                double pad = whole ? 1 : Math.max(Math.abs(low) * 0.1, 0.1);
                low -= pad;
                high += pad;
            }
            double step = niceStep((high - low) / Math.max(1, target - 1));
            if (whole) {
                step = Math.max(1, Math.round(step));
            }
            double first = Math.floor(low / step) * step;
            double last = Math.ceil(high / step) * step;
            List<Double> ticks = new ArrayList<>();
            for (double t = first; t <= last + step / 2; t += step) {
                ticks.add(Math.abs(t) < step * 1e-9 ? 0 : t);
            }
            return new Axis(first, last, ticks, label);
        }

        /** Ticks at round times (whole seconds, minutes, hours or days, UTC) covering [low, high] ms. */
        static Axis time(long low, long high) {
            long[] steps = {1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
                900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
                172_800_000, 604_800_000, 2_592_000_000L, 7_776_000_000L, 31_536_000_000L};
            if (high <= low) {
                low -= 30_000;
                high += 30_000;
            }
            long step = steps[steps.length - 1];
            for (long candidate : steps) {
                if ((high - low) / candidate <= 6) {
                    step = candidate;
                    break;
                }
            }
            long first = Math.floorDiv(low, step) * step;
            long last = -Math.floorDiv(-high, step) * step;
            List<Double> ticks = new ArrayList<>();
            for (long t = first; t <= last; t += step) {
                ticks.add((double) t);
            }
            boolean severalDays = Duration.ofMillis(last - first).toDays() >= 1;
            String pattern = step >= 86_400_000 ? "yyyy-MM-dd"
                    : severalDays ? "MM-dd HH:mm" : step < 60_000 ? "HH:mm:ss" : "HH:mm";
            DateTimeFormatter format = DateTimeFormatter.ofPattern(pattern, Locale.ROOT).withZone(ZoneOffset.UTC);
            return new Axis(first, last, ticks, ms -> format.format(Instant.ofEpochMilli((long) ms)));
        }

        /** 1, 2, 2.5 or 5 times a power of ten, at least {@code rough}. */
        private static double niceStep(double rough) {
            double power = Math.pow(10, Math.floor(Math.log10(rough)));
            for (double factor : new double[] {1, 2, 2.5, 5, 10}) {
                if (factor * power >= rough) {
                    return factor * power;
                }
            }
            return 10 * power;
        }
    }
}
