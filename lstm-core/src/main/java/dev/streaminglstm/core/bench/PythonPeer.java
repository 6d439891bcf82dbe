package dev.streaminglstm.core.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PyTorch peer, measured in the same run on the same machine: the shared anchor script for
 * the LSTM step, and a 1024^3 float matrix product for the BLAS ceiling. Needs
 * {@code /usr/bin/python3} with Debian's {@code python3-torch} and {@code libopenblas0-pthread}.
 *
 * <p>Every run gets its thread environment set explicitly ({@link Threads}), never the one this
 * JVM inherited: a launcher that exports {@code OMP_NUM_THREADS=1} for ND4J would otherwise pin
 * the peer to one OpenBLAS thread. Everything else (such as {@code OPENBLAS_CORETYPE}) is
 * inherited, as this JVM's own OpenBLAS inherits it.
 */
public final class PythonPeer {
    private static final Pattern TOKENS = Pattern.compile("tokens/s=([0-9.]+)");
    private static final Pattern GFLOPS = Pattern.compile("GFLOP/s=([0-9.]+)");
    private static final String MATMUL = String.join("\n",
            "import ctypes, sys, time, torch",
            "torch.set_num_threads(int(sys.argv[1])); n = 1024",
            "try:",
            "    lib = ctypes.CDLL('libopenblas.so.0'); lib.openblas_get_corename.restype = ctypes.c_char_p",
            "    core = lib.openblas_get_corename().decode()",
            "except Exception:",
            "    core = '?'",
            "a = torch.rand(n, n); b = torch.rand(n, n); best = 1e9",
            "for _ in range(10):",
            "    t = time.perf_counter(); torch.mm(a, b); best = min(best, time.perf_counter() - t)",
            "print(f'torch {torch.__version__} OpenBLAS core {core} GFLOP/s={2 * n ** 3 / best / 1e9:.1f}')");

    private final String python;

    public PythonPeer(String python) {
        this.python = python;
    }

    /**
     * A thread setting of the peer: OpenBLAS's threads (also {@code OMP_NUM_THREADS}) and
     * PyTorch's intra-op threads.
     */
    public record Threads(int blas, int torch) {
        /**
         * The settings a 2-core comparison tries: never 2 and 2, which oversubscribes the cores and
         * runs at about a third of the speed (shared/anchors/README.md).
         */
        public static final List<Threads> CANDIDATES = List.of(new Threads(1, 1), new Threads(2, 1), new Threads(1, 2));

        public Threads {
            if (blas < 1 || torch < 1) {
                throw new IllegalArgumentException("thread counts must be at least 1: blas " + blas + ", torch " + torch);
            }
        }

        Map<String, String> environment() {
            String n = Integer.toString(blas);
            return Map.of("OPENBLAS_NUM_THREADS", n, "OMP_NUM_THREADS", n, "MKL_NUM_THREADS", n);
        }

        @Override
        public String toString() {
            return "OPENBLAS_NUM_THREADS=" + blas + " torch=" + torch;
        }
    }

    /** What the peer printed, and the figure read from it. */
    public record Measurement(double value, String line) {}

    /** Why the peer cannot run, or empty when the interpreter exists and imports torch. */
    public Optional<String> unavailableReason() {
        try {
            Process p = new ProcessBuilder(python, "-c", "import torch").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return Optional.of(python + " cannot import torch (apt-get install python3-torch libopenblas0-pthread): "
                        + out.strip().lines().reduce((a, b) -> b).orElse(""));
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot run " + python + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }

    /** Runs the anchor script for the benchmark's exact shape, timing {@code s.tokens()} tokens. */
    public Measurement lstm(Path script, KernelBenchmark.Settings s, Threads threads) throws IOException {
        if (!Files.isRegularFile(script)) {
            throw new IOException("peer script not found: " + script);
        }
        List<String> command = List.of(python, script.toString(),
                Integer.toString(s.batch()), Integer.toString(s.seq()), Integer.toString(s.hidden()),
                Integer.toString(s.embed()), Integer.toString(s.vocab()), "cpu", Integer.toString(threads.torch()));
        return read(command, TOKENS, threads, Long.toString(s.tokens()));
    }

    /**
     * As {@link #lstm(Path, KernelBenchmark.Settings, Threads)} on one thread of each kind, timed
     * by the process's CPU time rather than the clock: the anchor runs unchanged, with
     * {@code time.perf_counter} (its clock) replaced by {@code time.process_time}. Tokens per
     * CPU-second, the figure a neighbour's load disturbs least.
     */
    public Measurement lstmCpu(Path script, KernelBenchmark.Settings s) throws IOException {
        if (!Files.isRegularFile(script)) {
            throw new IOException("peer script not found: " + script);
        }
        String run = "import runpy, sys, time; time.perf_counter = time.process_time; sys.argv = sys.argv[1:];"
                + " runpy.run_path(sys.argv[0], run_name='__main__')";
        List<String> command = List.of(python, "-c", run, script.toString(), Integer.toString(s.batch()),
                Integer.toString(s.seq()), Integer.toString(s.hidden()), Integer.toString(s.embed()),
                Integer.toString(s.vocab()), "cpu", "1");
        return read(command, TOKENS, new Threads(1, 1), Long.toString(s.tokens()));
    }

    /**
     * As {@link #lstm(Path, KernelBenchmark.Settings, Threads)} with OpenBLAS at one thread and
     * torch at {@code threads}.
     */
    @Deprecated
    public Measurement lstm(Path script, KernelBenchmark.Settings s, int threads) throws IOException {
        return lstm(script, s, new Threads(1, threads));
    }

    /** GFLOP/s of a 1024^3 float product through PyTorch's BLAS (the best of 10), and its OpenBLAS core. */
    public Measurement matmul(Threads threads) throws IOException {
        return read(List.of(python, "-c", MATMUL, Integer.toString(threads.torch())), GFLOPS, threads, null);
    }

    /** As {@link #matmul(Threads)} with OpenBLAS at {@code threads} threads and torch at one. */
    @Deprecated
    public Measurement matmul(int threads) throws IOException {
        return matmul(new Threads(threads, 1));
    }

    private Measurement read(List<String> command, Pattern figure, Threads threads, String tokens) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        pb.environment().putAll(threads.environment());
        if (tokens != null) {
            pb.environment().put("TOKENS", tokens);
        }
        Process p = pb.start();
        StringBuilder out = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                out.append(line).append('\n');
            }
        }
        try {
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException("peer failed: " + String.join(" ", command) + "\n" + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        String last = out.toString().strip().lines().reduce((a, b) -> b).orElse("");
        Matcher m = figure.matcher(last);
        if (!m.find()) {
            throw new IOException("peer printed no figure: " + last);
        }
        return new Measurement(Double.parseDouble(m.group(1)), last);
    }
}
