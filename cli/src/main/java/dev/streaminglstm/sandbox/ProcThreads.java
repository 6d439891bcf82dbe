package dev.streaminglstm.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** This process's threads as Linux shows them in {@code /proc/self/task}: name, nice, CPU time. */
public final class ProcThreads {

    private static final Path TASKS = Path.of("/proc/self/task");

    /** Clock ticks a second when libc cannot be asked: Linux's USER_HZ on every common architecture. */
    private static final long DEFAULT_TICKS_PER_SECOND = 100;

    private ProcThreads() {}

    /**
     * A thread of this process.
     *
     * @param tid its kernel id
     * @param name the name the kernel keeps: the Java name's first 15 bytes for a Java thread
     * @param nice its nice
     * @param cpuTicks CPU time used so far, user and system, in clock ticks ({@link #ticksPerSecond()})
     */
    public record ThreadEntry(String tid, String name, int nice, long cpuTicks) {}

    /** Whether a thread of kernel name {@code name} is a training task's: Flink names it {@code train (1/2)#0}. */
    public static boolean isTraining(String name) {
        return name.startsWith("train (");
    }

    /** Whether this is Linux with {@code /proc}. */
    public static boolean available() {
        return Files.isDirectory(TASKS);
    }

    /** This process's threads now; one that ends while they are read is left out. */
    public static List<ThreadEntry> ofThisProcess() {
        try (Stream<Path> entries = Files.list(TASKS)) {
            return entries.flatMap(dir -> read(dir).stream()).toList();
        } catch (IOException e) {
            throw new IllegalStateException("reading " + TASKS, e);
        }
    }

    /** The nice the JVM was started at: its first thread's. */
    public static int processNice() {
        try {
            return niceIn(Files.readString(TASKS.getParent().resolve("stat"), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("reading the process's nice", e);
        }
    }

    /** The clock ticks a second that {@link ThreadEntry#cpuTicks()} counts. */
    public static long ticksPerSecond() {
        try {
            long ticks = LibC.INSTANCE.sysconf(LibC.SC_CLK_TCK);
            return ticks > 0 ? ticks : DEFAULT_TICKS_PER_SECOND;
        } catch (LinkageError e) {
            return DEFAULT_TICKS_PER_SECOND;
        }
    }

    private static Optional<ThreadEntry> read(Path dir) {
        try {
            String stat = Files.readString(dir.resolve("stat"), StandardCharsets.UTF_8);
            return Optional.of(new ThreadEntry(dir.getFileName().toString(), nameIn(stat), niceIn(stat),
                    cpuTicksIn(stat)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The name between the first '(' and the last ')' of a {@code stat} line: it may hold both. */
    static String nameIn(String stat) {
        return stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    }

    /** Field 19 of a {@code stat} line, {@code proc(5)}. */
    static int niceIn(String stat) {
        return Integer.parseInt(field(stat, 19));
    }

    /** Fields 14 and 15 of a {@code stat} line: user and system time. */
    static long cpuTicksIn(String stat) {
        return Long.parseLong(field(stat, 14)) + Long.parseLong(field(stat, 15));
    }

    /** Field {@code n} (from 1) of a {@code stat} line: those from the state (field 3) on follow the name. */
    private static String field(String stat, int n) {
        return stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ")[n - 3];
    }
}
