package dev.streaminglstm.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Progress of a long command on stderr, read from a counter by a background thread: in a terminal a bar redrawn in
 * place (with the percentage when the total is known), otherwise a plain line every few seconds, which logs and
 * pipes can keep. {@link #finish()} ends a command that succeeded with one final line, in a terminal and outside
 * one alike: the amount done, the time it took and the rate. {@link #close()} stops the display; after a failure
 * (no {@link #finish()}) it only ends a bar's line, so the error that follows stays one line of its own.
 */
final class Progress implements AutoCloseable {

    /** What the counter counts, and how to print an amount of it. */
    enum Unit {
        BYTES {
            @Override
            String format(double amount) {
                String[] prefixes = {"B", "KB", "MB", "GB", "TB"};
                int i = 0;
                while (amount >= 1000 && i < prefixes.length - 1) {
                    amount /= 1000;
                    i++;
                }
                return i == 0 ? String.format(Locale.ROOT, "%.0f B", amount)
                        : String.format(Locale.ROOT, "%.1f %s", amount, prefixes[i]);
            }
        },
        TOKENS {
            @Override
            String format(double amount) {
                return String.format(Locale.ROOT, "%,.0f tokens", amount);
            }
        };

        abstract String format(double amount);
    }

    private static final int BAR_WIDTH = 30;
    private static final long TERMINAL_PERIOD_MS = 200;
    private static final long PLAIN_PERIOD_MS = 5_000;

    private final PrintWriter err;
    private final String label;
    private final long total;
    private final LongSupplier done;
    private final Unit unit;
    private final boolean terminal;
    private final long startNanos = System.nanoTime();
    private final ScheduledExecutorService ticker;
    private boolean stopped;

    private Progress(PrintWriter err, String label, long total, LongSupplier done, Unit unit, boolean terminal) {
        this.err = err;
        this.label = label;
        this.total = total;
        this.done = done;
        this.unit = unit;
        this.terminal = terminal;
        this.ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "progress");
            thread.setDaemon(true);
            return thread;
        });
        long period = terminal ? TERMINAL_PERIOD_MS : PLAIN_PERIOD_MS;
        ticker.scheduleAtFixedRate(this::show, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts showing {@code done} against {@code total} (negative when unknown) on {@code err}; as a bar when this
     * process runs in a terminal.
     */
    static Progress start(PrintWriter err, String label, long total, LongSupplier done, Unit unit) {
        boolean terminal = System.console() != null && !"dumb".equals(System.getenv("TERM"));
        return start(err, label, total, done, unit, terminal);
    }

    /** {@link #start(PrintWriter, String, long, LongSupplier, Unit)} with the kind of output chosen by the caller. */
    static Progress start(PrintWriter err, String label, long total, LongSupplier done, Unit unit, boolean terminal) {
        return new Progress(err, label, total, done, unit, terminal);
    }

    /**
     * Stops the display and ends it with one line: {@code LABEL: done, AMOUNT in SECONDS s, RATE} (in a terminal after
     * the bar's final state). Call it when the command has done its work.
     */
    void finish() {
        if (!stop()) {
            return;
        }
        long now = done.getAsLong();
        double seconds = elapsedSeconds();
        synchronized (this) {
            if (terminal) {
                show();
                err.println();
            }
            err.println(String.format(Locale.ROOT, "%s: done, %s in %.1f s, %s/s", label, unit.format(now), seconds,
                    unit.format(now / seconds)));
            err.flush();
        }
    }

    /** Stops the display; in a terminal it shows the bar's last state and ends its line. */
    @Override
    public void close() {
        if (!stop()) {
            return;
        }
        if (terminal) {
            synchronized (this) {
                show();
                err.println();
                err.flush();
            }
        }
    }

    /** Stops the background thread; false if it was stopped before. */
    private boolean stop() {
        synchronized (this) {
            if (stopped) {
                return false;
            }
            stopped = true;
        }
        ticker.shutdownNow();
        try {
            ticker.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    private double elapsedSeconds() {
        return Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
    }

    private synchronized void show() {
        long now = done.getAsLong();
        double seconds = elapsedSeconds();
        String rate = unit.format(now / seconds) + "/s";
        String amount = total > 0 ? unit.format(now) + " of " + unit.format(total) : unit.format(now);
        if (terminal) {
            StringBuilder line = new StringBuilder("\r").append(label).append(' ');
            if (total > 0) {
                double fraction = Math.min(1, (double) now / total);
                int filled = (int) Math.round(fraction * BAR_WIDTH);
                line.append('[').append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("] ")
                        .append(String.format(Locale.ROOT, "%3.0f%%  ", 100 * fraction));
            }
            line.append(amount).append("  ").append(rate).append("   ");
            err.print(line);
        } else {
            err.println(label + ": " + amount + (total > 0
                    ? String.format(Locale.ROOT, " (%.0f%%)", 100.0 * Math.min(now, total) / total) : "")
                    + ", " + rate);
        }
        err.flush();
    }
}
