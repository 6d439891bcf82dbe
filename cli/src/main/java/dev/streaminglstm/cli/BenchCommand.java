package dev.streaminglstm.cli;

import dev.streaminglstm.bench.Bench;
import dev.streaminglstm.bench.FreshnessBenchmark;
import dev.streaminglstm.bench.LatencyBenchmark;
import dev.streaminglstm.bench.ParallelBenchmark;
import dev.streaminglstm.bench.PipelineBenchmark;
import dev.streaminglstm.bench.StateBenchmark;
import dev.streaminglstm.core.bench.KernelBenchmark;
import dev.streaminglstm.core.bench.KernelComparison;
import dev.streaminglstm.core.bench.PythonPeer;
import dev.streaminglstm.core.diagnostics.GradientFlow;
import dev.streaminglstm.core.kernel.Blas;
import dev.streaminglstm.core.kernel.BundledOpenBlas;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** Benchmarks and measurements of the model, with peers measured in the same run. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Benchmarks of the model kernel and of the running system, against peers or limits measured"
                + " in the same run.",
        subcommands = {BenchCommand.Kernel.class, BenchCommand.Compare.class, BenchCommand.Flow.class, QualityCommand.class,
                PipelineBenchmark.class, LatencyBenchmark.class, FreshnessBenchmark.class, StateBenchmark.class,
                ParallelBenchmark.class, AdaptationCommand.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "name a benchmark: " + String.join(", ", spec.subcommands().keySet()));
    }


    /** {@link KernelComparison}: its own flags, passed through. */
    @Command(name = "compare", description = "The fast kernel against the PyTorch peer, each in each of its thread "
            + "settings, interleaved round by round, with the BLAS ceiling and batched inference stepping; "
            + "--help lists its flags.")
    static final class Compare implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Unmatched
        List<String> args = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            try {
                KernelComparison.run(args.toArray(String[]::new), System.out);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            return 0;
        }
    }

    /** Full training steps on random tokens; prints {@code tokens/s=N} last. */
    @Command(name = "kernel", mixinStandardHelpOptions = true,
            description = "Time full training steps (forward, backward, clipping, Adam) on random tokens. "
                    + "Prints the matmul ceiling and the PyTorch peer of the same shape from the same run, "
                    + "then tokens/s=N last.")
    static final class Kernel implements Callable<Integer> {
        @Option(names = "--batch", defaultValue = "32", description = "Streams per batch (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--seq", defaultValue = "64", description = "Window length T (default ${DEFAULT-VALUE}).")
        int seq;

        @Option(names = "--embed", defaultValue = "64", description = "Embedding width (default ${DEFAULT-VALUE}).")
        int embed;

        @Option(names = "--hidden", defaultValue = "256", description = "LSTM units (default ${DEFAULT-VALUE}).")
        int hidden;

        @Option(names = "--vocab", defaultValue = "256", description = "Vocabulary size (default ${DEFAULT-VALUE}).")
        int vocab;

        @Option(names = "--layers", defaultValue = "1", description = "Stacked LSTM layers (default ${DEFAULT-VALUE}).")
        int layers;

        @Option(names = "--tokens", defaultValue = "60000", description = "Tokens to time (default ${DEFAULT-VALUE}).")
        long tokens;

        @Option(names = "--warmup", defaultValue = "5", description = "Untimed steps first (default ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--threads", defaultValue = "1",
                description = "BLAS threads, for this run and for the peer (default ${DEFAULT-VALUE}).")
        int threads;

        @Option(names = "--peer", defaultValue = "auto",
                description = "auto (run the PyTorch peer if python3 has torch), torch (require it), none.")
        String peer;

        @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Interpreter for the peer.")
        String python;

        @Option(names = "--peer-script", description = "The PyTorch anchor script "
                + "(default: shared/anchors/torch_lstm_bench.py beside the checkout).")
        Path peerScript;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of weights and tokens.")
        long seed;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (!peer.equals("auto") && !peer.equals("torch") && !peer.equals("none")) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--peer must be auto, torch or none, was '" + peer + "'");
            }
            Bench.atLeast(spec, "--threads", threads, 1);
            Bench.atLeast(spec, "--batch", batch, 1);
            Bench.atLeast(spec, "--seq", seq, 1);
            Bench.atLeast(spec, "--embed", embed, 1);
            Bench.atLeast(spec, "--hidden", hidden, 1);
            Bench.atLeast(spec, "--vocab", vocab, 2);
            Bench.atLeast(spec, "--layers", layers, 1);
            Bench.atLeast(spec, "--tokens", tokens, 1);
            Bench.atLeast(spec, "--warmup", warmup, 0);
            KernelBenchmark.Settings s =
                    new KernelBenchmark.Settings(batch, seq, embed, hidden, vocab, layers, tokens, warmup, seed);
            Blas.setThreads(threads);
            System.out.printf("kernel: LSTM B=%d T=%d E=%d H=%d V=%d layers=%d threads=%d, %.2f MFLOP/token%n",
                    batch, seq, embed, hidden, vocab, layers, threads, s.flopsPerToken() / 1e6);
            System.out.println(BundledOpenBlas.describe());

            KernelBenchmark.Result ours = KernelBenchmark.run(s);
            System.out.printf("streaming-lstm: tokens/s=%.0f GFLOP/s=%.1f (%d steps, last loss %.3f bits)%n",
                    ours.tokensPerSecond(), ours.gflopsPerSecond(), ours.steps(), ours.lastLossBits());
            double nd4jCeiling = KernelBenchmark.matmulGflops(1024);
            System.out.printf("matmul 1024^3 float, ND4J: GFLOP/s=%.1f%n", nd4jCeiling);

            double ceiling = nd4jCeiling;
            String ceilingSource = "ND4J";
            Optional<PythonPeer> torch = torch();
            if (torch.isPresent()) {
                PythonPeer.Measurement mm = torch.get().matmul(threads);
                System.out.printf("matmul 1024^3 float, %s%n", mm.line());
                if (mm.value() > ceiling) {
                    ceiling = mm.value();
                    ceilingSource = "PyTorch/OpenBLAS";
                }
                PythonPeer.Measurement lstm = torch.get().lstm(script(), s, threads);
                System.out.printf("peer: %s%n", lstm.line());
                System.out.printf("ratio: streaming-lstm / PyTorch = %.2fx%n", ours.tokensPerSecond() / lstm.value());
            }
            double ceilingTokens = ceiling * 1e9 / s.flopsPerToken();
            System.out.printf("ceiling (%s matmul, %d threads): %.0f tokens/s; streaming-lstm reaches %.1f%% of it%n",
                    ceilingSource, threads, ceilingTokens, 100 * ours.tokensPerSecond() / ceilingTokens);
            System.out.printf("tokens/s=%.0f%n", ours.tokensPerSecond());
            return 0;
        }

        private Optional<PythonPeer> torch() {
            if (peer.equals("none")) {
                return Optional.empty();
            }
            PythonPeer p = new PythonPeer(python);
            Optional<String> why = p.unavailableReason();
            if (why.isPresent()) {
                if (peer.equals("torch")) {
                    throw new IllegalStateException(why.get());
                }
                System.out.println("peer: skipped, " + why.get());
                return Optional.empty();
            }
            return Optional.of(p);
        }

        private Path script() {
            if (peerScript != null) {
                return peerScript;
            }
            String home = System.getProperty("streaminglstm.home", ".");
            return Path.of(home).toAbsolutePath().resolveSibling("shared").resolve("anchors").resolve("torch_lstm_bench.py");
        }
    }

    /** The norm of dL/dh_0 against distance, RNN against LSTM. */
    @Command(name = "gradient-flow", mixinStandardHelpOptions = true,
            description = "Print how the gradient of a loss d steps later reaches the initial state, "
                    + "for the vanilla RNN and the LSTM (double precision, random inputs).")
    static final class Flow implements Callable<Integer> {
        @Option(names = "--steps", defaultValue = "100", description = "Longest distance (default ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--hidden", defaultValue = "64", description = "Units (default ${DEFAULT-VALUE}).")
        int hidden;

        @Option(names = "--input", defaultValue = "32", description = "Input width (default ${DEFAULT-VALUE}).")
        int input;

        @Option(names = "--seed", defaultValue = "1", description = "Seed (default ${DEFAULT-VALUE}).")
        long seed;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Bench.atLeast(spec, "--steps", steps, 2);
            Bench.atLeast(spec, "--hidden", hidden, 1);
            Bench.atLeast(spec, "--input", input, 1);
            GradientFlow.report(System.out, steps, hidden, input, seed);
            return 0;
        }
    }
}
