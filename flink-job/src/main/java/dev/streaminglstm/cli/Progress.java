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
 * pipes can keep. {@link #close()} shows the final state and ends the line.
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
        return new Progress(err, label, total, done, unit, terminal);
    }

    /** Stops the display after showing the final state. */
    @Override
    public void close() {
        ticker.shutdownNow();
        try {
            ticker.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (terminal) {
            show();
            err.println();
            err.flush();
        }
    }

    private synchronized void show() {
        long now = done.getAsLong();
        double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
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
