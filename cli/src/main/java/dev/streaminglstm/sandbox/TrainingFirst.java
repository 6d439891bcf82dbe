package dev.streaminglstm.sandbox;

import com.sun.jna.Native;
import dev.streaminglstm.sandbox.ProcThreads.ThreadEntry;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Training first in the scheduler, within this JVM: every application thread but training's own runs
 * {@link #LOWERED_NICE} nice levels below the JVM's (Linux). On 2 cores the training thread is runnable nearly all
 * the time and gets 0.6 to 0.9 of a core beside inference, Kafka and Flink (README, "Where the 2 cores go"); a higher
 * nice of the others gives it the larger share. Lowering needs no privilege; raising back does, so a lowered thread
 * stays lowered.
 *
 * <p>A new thread inherits the nice of the thread that creates it. Flink's task threads are created by the
 * TaskExecutor's main thread and its RPC threads, so those keep their nice: a restarted training task starts at it.
 * The JVM's own threads (garbage collector, JIT compilers) and its main thread (which Linux names {@code java}) are
 * not application threads by name and keep theirs too: the JIT compiles training's code as well.
 */
public final class TrainingFirst implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingFirst.class);

    /**
     * How much higher the nice of every other application thread is than the JVM's: a weight of 335 against
     * training's 1024 at nice 0.
     */
    public static final int LOWERED_NICE = 5;

    /** What a run with it says of it. */
    public static final String DESCRIPTION = "training first (every other thread at nice +" + LOWERED_NICE + ")";

    /** How often new threads are looked for. */
    private static final long SWEEP_MILLIS = 1000;

    /** Threads that create Flink's task threads (MiniCluster's TaskExecutor main thread, the RPC dispatchers). */
    private static final List<String> TASK_CREATORS = List.of("taskmanager_", "flink-pekko");

    private static final int PRIO_PROCESS = 0;
    private static final int MAX_NICE = 19;
    private static final int ESRCH = 3;

    private final Set<String> lowered = new HashSet<>();
    private final Set<String> warned = new HashSet<>();
    private volatile boolean running = true;
    private Thread sweeper;

    /** On this process's threads, without sweeping on its own ({@link #sweep()}). */
    TrainingFirst() {}

    /**
     * Lowers every application thread but training's, now and once a second until {@link #close()}, once a training
     * thread runs (before that, its creator could still be lowered). Where that cannot be done (not Linux, no libc
     * through JNA) it says so and does nothing.
     */
    public static TrainingFirst start() {
        TrainingFirst first = new TrainingFirst();
        Optional<String> unavailable = first.unavailable();
        if (unavailable.isPresent()) {
            LOG.warn("--training-first: not available here ({}); every thread keeps its priority", unavailable.get());
            return first;
        }
        first.sweeper = new Thread(first::sweepUntilClosed, "training-first");
        first.sweeper.setDaemon(true);
        first.sweeper.start();
        return first;
    }

    Optional<String> unavailable() {
        if (!ProcThreads.available()) {
            return Optional.of("no /proc/self/task");
        }
        try {
            LibC.INSTANCE.sysconf(LibC.SC_CLK_TCK);
            return Optional.empty();
        } catch (LinkageError e) {
            return Optional.of("libc through JNA: " + e);
        }
    }

    private void sweepUntilClosed() {
        while (running) {
            try {
                sweep();
                Thread.sleep(SWEEP_MILLIS);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("--training-first stops: {}", e.toString());
                return;
            }
        }
    }

    /**
     * One pass over this process's threads: lowers the application threads not yet lowered, unless no training
     * thread runs yet.
     *
     * @return how many threads this pass lowered
     */
    int sweep() {
        List<ThreadEntry> threads = ProcThreads.ofThisProcess();
        if (threads.stream().noneMatch(t -> ProcThreads.isTraining(t.name()))) {
            return 0;
        }
        Set<String> applicationNames = applicationThreadNames();
        int base = ProcThreads.processNice();
        int target = Math.min(MAX_NICE, base + LOWERED_NICE);
        int count = 0;
        for (ThreadEntry thread : threads) {
            if (ProcThreads.isTraining(thread.name())) {
                if (thread.nice() > base && warned.add(thread.tid())) {
                    LOG.warn("--training-first: training thread '{}' runs at nice {}, the nice of the thread that"
                            + " created it; it cannot be raised without CAP_SYS_NICE", thread.name(), thread.nice());
                }
            } else if (applicationNames.contains(thread.name()) && !createsTasks(thread.name())
                    && thread.nice() < target && lowered.add(thread.tid()) && lower(thread, target)) {
                count++;
            }
        }
        return count;
    }

    /** Sets {@code thread}'s nice to {@code nice}; false if it ended in between or may not be lowered. */
    private boolean lower(ThreadEntry thread, int nice) {
        if (LibC.INSTANCE.setpriority(PRIO_PROCESS, Integer.parseInt(thread.tid()), nice) == 0) {
            return true;
        }
        int errno = Native.getLastError();
        // ESRCH: the thread ended in between, nothing to do
        if (errno != ESRCH && warned.add("setpriority")) {
            LOG.warn("--training-first: setpriority of thread '{}' failed with errno {}", thread.name(), errno);
        }
        return false;
    }

    private static boolean createsTasks(String name) {
        return TASK_CREATORS.stream().anyMatch(name::startsWith);
    }

    /** The kernel's names of the JVM's application threads: Java names cut to the 15 bytes the kernel keeps. */
    private static Set<String> applicationThreadNames() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] all = new Thread[root.activeCount() * 2 + 16];
        int n = root.enumerate(all, true);
        Set<String> names = new HashSet<>();
        for (int i = 0; i < n; i++) {
            names.add(kernelName(all[i].getName()));
        }
        return names;
    }

    /** The name Linux keeps for a thread named {@code name}: its first 15 bytes of UTF-8. */
    static String kernelName(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        return bytes.length <= 15 ? name : new String(bytes, 0, 15, StandardCharsets.UTF_8);
    }

    /** Stops looking for new threads; the lowered ones stay lowered. */
    @Override
    public void close() {
        running = false;
        if (sweeper != null) {
            sweeper.interrupt();
        }
    }
}
