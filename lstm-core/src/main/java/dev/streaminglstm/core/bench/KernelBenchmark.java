package dev.streaminglstm.core.bench;

import dev.streaminglstm.core.kernel.Kernel;
import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.nn.LanguageModel;
import dev.streaminglstm.core.nn.WindowBatch;
import dev.streaminglstm.core.optim.Optimizer;
import dev.streaminglstm.core.optim.OptimizerConfig;
import dev.streaminglstm.core.train.Trainer;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Times full training steps (forward, backward, clipping, Adam) of a byte-level LSTM language
 * model on random tokens, with state carried across windows, exactly as the PyTorch anchor
 * ({@code shared/anchors/torch_lstm_bench.py}) does: Adam at 2e-3, global-norm clipping at 5.
 */
public final class KernelBenchmark {

    /**
     * What to time.
     *
     * @param tokens how many tokens to time (after warm-up), at least 5 steps
     * @param threads the fast kernel's threads ({@link Kernel#create(ModelConfig, int)})
     */
    public record Settings(int batch, int seq, int embed, int hidden, int vocab, int layers, long tokens,
            int warmupSteps, long seed, int threads) {
        /** On one kernel thread. */
        public Settings(int batch, int seq, int embed, int hidden, int vocab, int layers, long tokens, int warmupSteps,
                long seed) {
            this(batch, seq, embed, hidden, vocab, layers, tokens, warmupSteps, seed, 1);
        }

        public Settings {
            positive("threads", threads);
            positive("batch", batch);
            positive("seq", seq);
            positive("embed", embed);
            positive("hidden", hidden);
            positive("layers", layers);
            positive("warmup", warmupSteps + 1);
            if (vocab < 2) {
                throw new IllegalArgumentException("vocab must be at least 2, was " + vocab);
            }
            if (tokens < 1) {
                throw new IllegalArgumentException("tokens must be positive, was " + tokens);
            }
        }

        public ModelConfig model() {
            return new ModelConfig(vocab, embed, hidden, layers, CellType.LSTM, 0);
        }

        /** Training FLOPs per token, counted as the anchor counts them: 6 (4H(in + H) + H V). */
        public double flopsPerToken() {
            double f = 0;
            for (int l = 0; l < layers; l++) {
                int in = l == 0 ? embed : hidden;
                f += 4.0 * hidden * (in + hidden);
            }
            return 6 * (f + (double) hidden * vocab);
        }

        /** The same settings with another batch and number of tokens. */
        public Settings with(int newBatch, long newTokens) {
            return new Settings(newBatch, seq, embed, hidden, vocab, layers, newTokens, warmupSteps, seed, threads);
        }

        /** The same settings on another number of kernel threads. */
        public Settings withThreads(int newThreads) {
            return new Settings(batch, seq, embed, hidden, vocab, layers, tokens, warmupSteps, seed, newThreads);
        }

        public int timedSteps() {
            return (int) Math.max(5, tokens / ((long) batch * seq));
        }

        private static void positive(String name, int v) {
            if (v < 1) {
                throw new IllegalArgumentException(name + " must be positive, was " + v);
            }
        }
    }

    /** Tokens per second and the rate of useful arithmetic it implies. */
    /**
     * What a run measured.
     *
     * @param tokensPerCpuSecond tokens per second of the process's CPU time (all its threads, the
     *     JIT's and collector's too): what a neighbour's load disturbs least
     */
    public record Result(double tokensPerSecond, double gflopsPerSecond, int steps, double lastLossBits,
            double tokensPerCpuSecond) {}

    private KernelBenchmark() {}

    /** Runs the warm-up and the timed steps. */
    public static Result run(Settings s) {
        ModelConfig config = s.model();
        ParameterSet params = ParameterSet.initialize(config, DataType.FLOAT, s.seed());
        LanguageModel model = Kernel.FAST.create(config, s.threads());
        Trainer trainer = new Trainer(model, params, Optimizer.create(OptimizerConfig.adam(2e-3, 5.0), config, DataType.FLOAT));
        SplittableRandom random = new SplittableRandom(s.seed());
        int[][] tokens = new int[s.batch()][s.seq() + 1];
        for (int[] row : tokens) {
            for (int i = 0; i < row.length; i++) {
                row[i] = random.nextInt(s.vocab());
            }
        }
        WindowBatch batch = new WindowBatch(tokens, null, null, -1);
        RecurrentState state = RecurrentState.zeros(config, s.batch(), DataType.FLOAT);
        Trainer.Step step = null;
        for (int i = 0; i < s.warmupSteps(); i++) {
            step = trainer.train(state, batch);
            state = step.nextState();
        }
        int steps = s.timedSteps();
        long start = System.nanoTime();
        long cpuStart = processCpuNanos();
        for (int i = 0; i < steps; i++) {
            step = trainer.train(state, batch);
            state = step.nextState();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
        double tokensPerSecond = (double) steps * s.batch() * s.seq() / seconds;
        return new Result(tokensPerSecond, tokensPerSecond * s.flopsPerToken() / 1e9, steps, step.lossBits(),
                (double) steps * s.batch() * s.seq() / cpuSeconds);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** GFLOP/s of an {@code n x n x n} float matrix product through ND4J (best of a few runs). */
    @Deprecated
    public static double matmulGflops(int n) {
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray c = Nd4j.create(DataType.FLOAT, n, n);
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 8; i++) {
            long t0 = System.nanoTime();
            a.mmuli(b, c);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return 2.0 * n * n * n / best / 1e9;
    }
}
