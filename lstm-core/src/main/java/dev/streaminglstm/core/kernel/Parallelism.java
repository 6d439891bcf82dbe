package dev.streaminglstm.core.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.function.IntConsumer;

/**
 * How many threads one call of the fast kernel may use: the caller's own and up to
 * {@code threads - 1} of a pool of daemon threads shared by every model in the process. A call
 * splits its work into independent parts (streams of a batch, rows or columns of a product) and
 * runs part 0 itself; a part that no pool thread has started by the time the caller is done with
 * its own is run by the caller too, so a busy pool slows a call down but never stalls it.
 *
 * <p>OpenBLAS runs each part's products on the part's thread: keep it at one thread
 * ({@link Blas#setThreads}) when calls run on several.
 */
final class Parallelism {
    static final Parallelism SINGLE = new Parallelism(1);
    private static final int MAX_THREADS = 64;
    private static volatile ExecutorService pool;

    private final int threads;

    private Parallelism(int threads) {
        this.threads = threads;
    }

    static Parallelism of(int threads) {
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("kernel threads must be in [1, " + MAX_THREADS + "], was " + threads);
        }
        return threads == 1 ? SINGLE : new Parallelism(threads);
    }

    int threads() {
        return threads;
    }

    /** How many parts {@code n} units make when each part should have at least {@code minimum}. */
    int parts(int n, int minimum) {
        return Math.max(1, Math.min(threads, n / Math.max(1, minimum)));
    }

    /** The first unit of part {@code p} of {@code parts} over {@code n} units (part {@code parts} gives {@code n}). */
    static int start(int p, int parts, int n) {
        return (int) ((long) n * p / parts);
    }

    /** Runs {@code part.accept(p)} for every {@code p < parts}, returning when all are done. */
    void run(int parts, IntConsumer part) {
        if (parts == 1) {
            part.accept(0);
            return;
        }
        List<FutureTask<Void>> others = new ArrayList<>(parts - 1);
        for (int p = 1; p < parts; p++) {
            int index = p;
            FutureTask<Void> task = new FutureTask<>(() -> part.accept(index), null);
            others.add(task);
            pool().execute(task);
        }
        Throwable failure = null;
        try {
            part.accept(0);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (FutureTask<Void> task : others) {
            task.run(); // a no-op when a pool thread has started it
            try {
                task.get();
            } catch (ExecutionException e) {
                failure = failure != null ? failure : e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = failure != null ? failure : e;
            }
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException("a kernel part failed", failure);
        }
    }

    private static ExecutorService pool() {
        ExecutorService p = pool;
        if (p == null) {
            synchronized (Parallelism.class) {
                if (pool == null) {
                    pool = Executors.newCachedThreadPool(r -> {
                        Thread t = new Thread(r, "lstm-kernel");
                        t.setDaemon(true);
                        return t;
                    });
                }
                p = pool;
            }
        }
        return p;
    }
}
