package dev.streaminglstm.core.bench;

import dev.streaminglstm.core.kernel.Blas;
import dev.streaminglstm.core.kernel.BundledOpenBlas;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The kernel against PyTorch and the BLAS ceiling, in one run: for each batch size, training
 * steps of ours in each of its thread settings and of the PyTorch peer in each of its
 * ({@link PythonPeer.Threads#CANDIDATES}), interleaved round by round so that a neighbour's load
 * hits both alike; the 2-thread 1024^3 sgemm of both BLAS libraries as the ceiling; and stepping
 * many streams for inference, batched against one by one ({@link InferenceBenchmark}). Prints a
 * table of medians with the spread of the per-round ratios, and its figures as key=value pairs on
 * the last line.
 *
 * <p>Run: {@code java -cp CLASSPATH dev.streaminglstm.core.bench.KernelComparison --help}.
 */
public final class KernelComparison {
    /** One of our thread settings: the fast kernel's threads and OpenBLAS's. */
    public record Ours(int kernel, int blas) {
        public static final List<Ours> CANDIDATES = List.of(new Ours(1, 1), new Ours(2, 1), new Ours(1, 2));

        @Override
        public String toString() {
            return "kernel=" + kernel + " blas=" + blas;
        }
    }

    /**
     * What to run.
     *
     * @param base the shape, warm-up and seed (its batch and tokens are replaced per batch size)
     * @param tokens tokens timed per run, 0 for a default that grows with the batch
     * @param peer null for no peer
     * @param streams streams of the inference benchmark, 0 for none
     */
    public record Options(KernelBenchmark.Settings base, List<Integer> batches, long tokens, int rounds,
            List<Ours> ours, PythonPeer peer, Path peerScript, int streams) {}

    private final Options options;
    private final PrintStream out;
    /** Tokens per second by batch, then by setting name, one entry per round. */
    private final Map<Integer, Map<String, List<Double>>> ourRuns = new LinkedHashMap<>();
    private final Map<Integer, Map<String, List<Double>>> peerRuns = new LinkedHashMap<>();
    /** Tokens per CPU-second on one thread each: ours (kernel 1, BLAS 1) and the peer's (1, 1). */
    private final Map<Integer, Map<String, List<Double>>> cpuRuns = new LinkedHashMap<>();
    private static final String OURS = "ours";
    private static final String PEER = "peer";
    private double ceilingGflops;
    private String ceilingSource = "";
    private final List<InferenceBenchmark.Result> inference = new ArrayList<>();

    KernelComparison(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public static void main(String[] args) throws IOException {
        try {
            run(args, System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("kernel comparison: " + e.getMessage());
            System.exit(2);
        }
    }

    /**
     * Parses {@code args} and runs the comparison, or prints the usage for {@code --help}.
     *
     * @throws IllegalArgumentException naming a bad flag or value, before anything runs
     */
    public static void run(String[] args, PrintStream out) throws IOException {
        Optional<Options> options = KernelComparisonArgs.parse(args, out);
        if (options.isPresent()) {
            new KernelComparison(options.get(), out).run();
        }
    }

    /** Runs every round and prints the table and the key=value line. */
    void run() throws IOException {
        KernelBenchmark.Settings s = options.base();
        out.printf(Locale.ROOT, "kernel comparison: LSTM T=%d E=%d H=%d V=%d layers=%d, %.2f MFLOP/token, %d rounds%n",
                s.seq(), s.embed(), s.hidden(), s.vocab(), s.layers(), s.flopsPerToken() / 1e6, options.rounds());
        out.println(BundledOpenBlas.describe() + " (inherited by the peer too)");
        String omp = System.getenv("OMP_NUM_THREADS");
        out.println("this JVM: OMP_NUM_THREADS=" + (omp == null ? "(unset)" : omp) + "; the peer gets its own per run");
        if (!"1".equals(omp)) {
            out.println("WARNING: ND4J's OpenMP threads spin beside the kernel unless OMP_NUM_THREADS=1;"
                    + " run with it as bin/streaming-lstm does");
        }
        out.println("load average at the start: " + loadAverage());
        warmUp();
        for (int round = 1; round <= options.rounds(); round++) {
            out.println("-- round " + round);
            for (int batch : options.batches()) {
                runOurs(batch);
                runPeer(batch);
            }
            runCeiling();
            if (options.streams() > 0) {
                InferenceBenchmark.Result r = InferenceBenchmark.run(s, options.streams());
                out.println("inference: " + r);
                inference.add(r);
            }
        }
        out.println("load average at the end: " + loadAverage());
        printTable();
    }

    /** The 1, 5 and 15 minute load averages: how much else ran on the cores meanwhile. */
    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private void warmUp() {
        Blas.setThreads(1);
        for (int batch : options.batches()) {
            KernelBenchmark.run(options.base().with(batch, 1).withThreads(1));
        }
    }

    private void runOurs(int batch) {
        for (Ours o : options.ours()) {
            Blas.setThreads(o.blas());
            KernelBenchmark.Result r = KernelBenchmark.run(settings(batch).withThreads(o.kernel()));
            out.printf(Locale.ROOT, "B=%d ours %s: tokens/s=%.0f tokens/cpu-s=%.0f (%d steps, loss %.3f bits)%n",
                    batch, o, r.tokensPerSecond(), r.tokensPerCpuSecond(), r.steps(), r.lastLossBits());
            record(ourRuns, batch, o.toString(), r.tokensPerSecond());
            if (o.kernel() == 1 && o.blas() == 1) {
                record(cpuRuns, batch, OURS, r.tokensPerCpuSecond());
            }
        }
        Blas.setThreads(1);
    }

    private void runPeer(int batch) throws IOException {
        if (options.peer() == null) {
            return;
        }
        for (PythonPeer.Threads t : PythonPeer.Threads.CANDIDATES) {
            PythonPeer.Measurement m = options.peer().lstm(options.peerScript(), settings(batch), t);
            out.printf(Locale.ROOT, "B=%d peer %s: %s%n", batch, t, m.line());
            record(peerRuns, batch, t.toString(), m.value());
        }
        if (cpuRuns.containsKey(batch)) {
            PythonPeer.Measurement cpu = options.peer().lstmCpu(options.peerScript(), settings(batch));
            out.printf(Locale.ROOT, "B=%d peer, one thread each, per CPU-second: %s%n", batch, cpu.line());
            record(cpuRuns, batch, PEER, cpu.value());
        }
    }

    /** Both BLAS libraries' 1024^3 sgemm at 2 threads: the largest is the ceiling. */
    private void runCeiling() throws IOException {
        Blas.setThreads(2);
        double ours = Blas.squareProductGflops(1024);
        Blas.setThreads(1);
        out.printf(Locale.ROOT, "ceiling: ours, 2 BLAS threads: GFLOP/s=%.1f%n", ours);
        raiseCeiling(ours, "ours: " + BundledOpenBlas.load());
        if (options.peer() != null) {
            PythonPeer.Measurement m = options.peer().matmul(new PythonPeer.Threads(2, 1));
            out.println("ceiling: peer, OPENBLAS_NUM_THREADS=2 torch=1: " + m.line());
            raiseCeiling(m.value(), "PyTorch's: " + m.line().replaceAll(" GFLOP/s=.*", ""));
        }
    }

    private void raiseCeiling(double gflops, String source) {
        if (gflops > ceilingGflops) {
            ceilingGflops = gflops;
            ceilingSource = source;
        }
    }

    private KernelBenchmark.Settings settings(int batch) {
        long tokens = options.tokens() > 0 ? options.tokens() : Math.max(8192, Math.min(60_000, 2048L * batch));
        return options.base().with(batch, tokens);
    }

    private static void record(Map<Integer, Map<String, List<Double>>> runs, int batch, String setting, double value) {
        runs.computeIfAbsent(batch, b -> new LinkedHashMap<>()).computeIfAbsent(setting, k -> new ArrayList<>())
                .add(value);
    }

    private void printTable() {
        double flops = options.base().flopsPerToken();
        double ceilingTokens = ceilingGflops * 1e9 / flops;
        out.println();
        out.printf(Locale.ROOT, "ceiling: 1024^3 sgemm at 2 threads, best of the run: %.1f GFLOP/s (%s) = %.0f tokens/s%n",
                ceilingGflops, ceilingSource, ceilingTokens);
        out.println("| batch | ours tokens/s (setting) | PyTorch tokens/s (best setting) | ratio, median [min-max] |"
                + " ceiling GFLOP/s | ceiling tokens/s | share of ceiling | one thread each, tokens per CPU-s:"
                + " ours / PyTorch, ratio [min-max] |");
        out.println("|---|---|---|---|---|---|---|---|");
        StringBuilder keys = new StringBuilder();
        for (int batch : options.batches()) {
            Best ours = best(ourRuns.get(batch));
            Best peer = peerRuns.containsKey(batch) ? best(peerRuns.get(batch)) : null;
            String ratio = "-";
            String p = "-";
            if (peer != null) {
                double[] ratios = ratios(ours.values(), peer.values());
                ratio = String.format(Locale.ROOT, "%.2fx [%.2f-%.2f]", median(ratios), min(ratios), max(ratios));
                p = String.format(Locale.ROOT, "%.0f (%s)", peer.median(), peer.setting());
                keys.append(String.format(Locale.ROOT, " b%d_peer_tokens_per_s=%.0f b%d_ratio=%.2f b%d_ratio_min=%.2f",
                        batch, peer.median(), batch, median(ratios), batch, min(ratios)));
            }
            double share = ours.median() / ceilingTokens;
            String cpu = "-";
            Map<String, List<Double>> c = cpuRuns.get(batch);
            if (c != null && c.containsKey(PEER)) {
                double[] o = c.get(OURS).stream().mapToDouble(Double::doubleValue).toArray();
                double[] q = c.get(PEER).stream().mapToDouble(Double::doubleValue).toArray();
                double[] r = ratios(o, q);
                cpu = String.format(Locale.ROOT, "%.0f / %.0f, %.2fx [%.2f-%.2f]", median(o), median(q), median(r),
                        min(r), max(r));
                keys.append(String.format(Locale.ROOT, " b%d_cpu_ratio=%.2f", batch, median(r)));
            }
            out.printf(Locale.ROOT, "| %d | %.0f (%s) | %s | %s | %.1f | %.0f | %.1f%% | %s |%n", batch, ours.median(),
                    ours.setting(), p, ratio, ceilingGflops, ceilingTokens, 100 * share, cpu);
            keys.insert(0, String.format(Locale.ROOT, " b%d_tokens_per_s=%.0f b%d_share_of_ceiling=%.3f", batch,
                    ours.median(), batch, share));
        }
        if (!inference.isEmpty()) {
            InferenceBenchmark.Result r = InferenceBenchmark.Result.median(inference);
            out.println();
            out.println("inference, medians over rounds: " + r);
            keys.append(String.format(Locale.ROOT, " inference_streams=%d inference_batched_tokens_per_s=%.0f"
                    + " inference_scored_tokens_per_s=%.0f inference_single_tokens_per_s=%.0f", r.streams(),
                    r.batchedTokensPerSecond(), r.scoredTokensPerSecond(), r.singleTokensPerSecond()));
            String oneThread = new Ours(1, 1).toString();
            for (int batch : options.batches()) {
                List<Double> training = ourRuns.get(batch).get(oneThread);
                if (training == null) {
                    continue;
                }
                // cost per token on one thread: inference's time per token over training's
                double trainingRate = median(training.stream().mapToDouble(Double::doubleValue).toArray());
                double batched = trainingRate / r.batchedTokensPerSecond();
                double single = trainingRate / r.singleTokensPerSecond();
                out.printf(Locale.ROOT, "inference cost per token over training's at B=%d (%.0f tokens/s), both on one"
                        + " thread: batched %.3f, scored %.3f, one stream at a time %.3f%n", batch, trainingRate, batched,
                        trainingRate / r.scoredTokensPerSecond(), single);
                keys.append(String.format(Locale.ROOT, " b%d_inference_over_training=%.3f"
                        + " b%d_single_inference_over_training=%.3f", batch, batched, batch, single));
            }
        }
        out.println(String.format(Locale.ROOT, "ceiling_gflops=%.1f", ceilingGflops) + keys);
    }

    /** The setting with the highest median, its median and its values round by round. */
    private record Best(String setting, double median, double[] values) {}

    private static Best best(Map<String, List<Double>> bySetting) {
        Best best = null;
        for (Map.Entry<String, List<Double>> e : bySetting.entrySet()) {
            double[] v = e.getValue().stream().mapToDouble(Double::doubleValue).toArray();
            double m = median(v);
            if (best == null || m > best.median()) {
                best = new Best(e.getKey(), m, v);
            }
        }
        return best;
    }

    private static double[] ratios(double[] ours, double[] peer) {
        double[] r = new double[Math.min(ours.length, peer.length)];
        for (int i = 0; i < r.length; i++) {
            r[i] = ours[i] / peer[i];
        }
        return r;
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }
}
