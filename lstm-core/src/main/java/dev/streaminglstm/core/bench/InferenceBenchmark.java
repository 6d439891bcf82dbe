package dev.streaminglstm.core.bench;

import dev.streaminglstm.core.kernel.BatchStepper;
import dev.streaminglstm.core.kernel.Kernel;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.nn.TokenStepper;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Inference's kernel cost: S streams each reading a chunk of {@link #CHUNK} random tokens from
 * its own state, on one thread, either all at once ({@link BatchStepper}, with and without
 * scoring every token) or one stream after the other through the fast kernel's single-stream
 * stepper, as the inference operator reads them today. Tokens per second of each.
 */
final class InferenceBenchmark {
    static final int CHUNK = 64;
    /** Streams read one by one: enough for a steady figure, fewer than S to keep the run short. */
    private static final int SINGLE_STREAMS = 64;

    private InferenceBenchmark() {}

    /**
     * Tokens per second of each way.
     *
     * @param scoredTokensPerSecond batched, with {@code ln p} of every token
     */
    record Result(int streams, double batchedTokensPerSecond, double scoredTokensPerSecond,
            double singleTokensPerSecond) {
        static Result median(List<Result> runs) {
            return new Result(runs.get(0).streams(), median(runs, Result::batchedTokensPerSecond),
                    median(runs, Result::scoredTokensPerSecond), median(runs, Result::singleTokensPerSecond));
        }

        private static double median(List<Result> runs, ToDoubleFunction<Result> figure) {
            return KernelComparison.median(runs.stream().mapToDouble(figure).toArray());
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d streams x %d-token chunks, one thread: batched %.0f tokens/s,"
                    + " batched and scored %.0f tokens/s, one stream at a time %.0f tokens/s (%.1fx)", streams, CHUNK,
                    batchedTokensPerSecond, scoredTokensPerSecond, singleTokensPerSecond,
                    batchedTokensPerSecond / singleTokensPerSecond);
        }
    }

    static Result run(KernelBenchmark.Settings s, int streams) {
        ModelConfig config = s.model();
        ParameterSet params = ParameterSet.initialize(config, DataType.FLOAT, s.seed());
        BatchStepper batch = BatchStepper.create(params, -1, 1);
        SplittableRandom random = new SplittableRandom(s.seed());
        float[][] states = new float[streams][RecurrentState.flatSize(config)];
        int[][] tokens = new int[streams][CHUNK];
        for (int[] chunk : tokens) {
            for (int t = 0; t < CHUNK; t++) {
                chunk[t] = random.nextInt(s.vocab());
            }
        }
        batch.step(states, tokens, null, null); // warm-up, and states that are not all zero
        double batched = timeBatched(batch, states, tokens, null);
        float[][] scores = new float[streams][CHUNK];
        double scored = timeBatched(batch, states, tokens, scores);
        TokenStepper single = Kernel.FAST.create(config).stepper(params, null, -1);
        int n = Math.min(streams, SINGLE_STREAMS);
        readOneByOne(single, states, tokens, n); // warm-up
        long t0 = System.nanoTime();
        readOneByOne(single, states, tokens, n);
        double singleRate = (double) n * CHUNK / ((System.nanoTime() - t0) / 1e9);
        return new Result(streams, batched, scored, singleRate);
    }

    private static double timeBatched(BatchStepper batch, float[][] states, int[][] tokens, float[][] scores) {
        long t0 = System.nanoTime();
        batch.step(states, tokens, null, scores);
        return (double) tokens.length * CHUNK / ((System.nanoTime() - t0) / 1e9);
    }

    /** What the inference operator does per chunk today: restore the stream's state, feed, keep the state. */
    private static void readOneByOne(TokenStepper stepper, float[][] states, int[][] tokens, int streams) {
        for (int i = 0; i < streams; i++) {
            stepper.setFlatState(states[i]);
            float[] next = stepper.feed(tokens[i]);
            states[i] = stepper.flatState();
            if (next.length == 0) {
                throw new IllegalStateException("no distribution");
            }
        }
    }
}
