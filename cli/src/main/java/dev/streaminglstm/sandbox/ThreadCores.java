package dev.streaminglstm.sandbox;

import dev.streaminglstm.sandbox.ProcThreads.ThreadEntry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Where the cores went between two looks at this JVM's threads ({@link ProcThreads}): CPU time per group of threads
 * (training, inference, merger, JIT compilers, garbage collector, the rest) over the wall time between, in cores.
 * A thread that ended in between is not counted; one that started is counted from zero.
 */
public final class ThreadCores {

    /** The groups, in the order they are shown; a thread goes to the first whose test its kernel name passes. */
    private static final Map<String, Predicate<String>> GROUPS = new LinkedHashMap<>();

    static {
        GROUPS.put("train", ProcThreads::isTraining);
        GROUPS.put("infer", name -> name.startsWith("infer"));
        GROUPS.put("merge", name -> name.startsWith("merge"));
        GROUPS.put("jit", name -> name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre"));
        GROUPS.put("gc", name -> name.startsWith("GC Thread") || name.startsWith("G1 "));
        GROUPS.put("other", name -> true);
    }

    /** A look at every thread of this JVM, at a moment. */
    public record Snapshot(long nanos, List<ThreadEntry> threads) {
        /** This JVM's threads now; empty where there is no {@code /proc}. */
        public static Snapshot now() {
            return new Snapshot(System.nanoTime(), ProcThreads.available() ? ProcThreads.ofThisProcess() : List.of());
        }
    }

    /** {@link #keyValues()} where nothing was measured: every group nan. */
    public static final String UNKNOWN = GROUPS.keySet().stream().map(g -> g + "_cores=nan")
            .collect(Collectors.joining(" "));

    private final Map<String, Double> cores;

    private ThreadCores(Map<String, Double> cores) {
        this.cores = cores;
    }

    /** The cores each group used from {@code from} to {@code to}, with CPU time counted in {@code ticksPerSecond}. */
    public static ThreadCores between(Snapshot from, Snapshot to, long ticksPerSecond) {
        Map<String, Long> before = from.threads().stream()
                .collect(Collectors.toMap(ThreadEntry::tid, ThreadEntry::cpuTicks, (a, b) -> a));
        Map<String, Double> cores = new LinkedHashMap<>();
        GROUPS.keySet().forEach(group -> cores.put(group, 0.0));
        double seconds = (to.nanos() - from.nanos()) / 1e9;
        for (ThreadEntry thread : to.threads()) {
            long ticks = thread.cpuTicks() - before.getOrDefault(thread.tid(), 0L);
            cores.merge(groupOf(thread.name()), ticks / (double) ticksPerSecond / seconds, Double::sum);
        }
        return new ThreadCores(cores);
    }

    /** The group of a thread of kernel name {@code name}: train, infer, merge, jit, gc or other. */
    public static String groupOf(String name) {
        return GROUPS.entrySet().stream().filter(g -> g.getValue().test(name)).findFirst().orElseThrow().getKey();
    }

    /** Cores used by {@code group}: one of train, infer, merge, jit, gc, other. */
    public double of(String group) {
        if (!cores.containsKey(group)) {
            throw new IllegalArgumentException("no thread group " + group + "; groups: " + cores.keySet());
        }
        return cores.get(group);
    }

    public double total() {
        return cores.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    /** {@code train 0.84, infer 0.44, ...} */
    public String describe() {
        return cores.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey(), e.getValue()))
                .collect(Collectors.joining(", "));
    }

    /** {@code train_cores=0.84 infer_cores=0.44 ...} */
    public String keyValues() {
        return cores.entrySet().stream()
                .map(e -> String.format(Locale.ROOT, "%s_cores=%.3f", e.getKey(), e.getValue()))
                .collect(Collectors.joining(" "));
    }
}
