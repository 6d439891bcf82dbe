package dev.streaminglstm.core.kernel;

import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.nn.LanguageModel;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Which implementation runs a {@link LanguageModel}, chosen by name: nothing falls back from one
 * to the other behind the caller's back.
 */
public enum Kernel {
    /**
     * The reference layers ({@code LstmLayer}, {@code RnnLayer}, {@code SoftmaxHead}) in whole-array
     * ND4J operations: any cell and floating-point type. What the gradient checks verify.
     */
    REFERENCE,
    /**
     * The fast float kernel ({@link FastLstmLayer}, {@link FastSoftmaxHead}, {@link FastStepper},
     * {@link BatchStepper}): the same functions and gradients for LSTM models with FLOAT
     * parameters, and nothing else; it refuses other parameters with an
     * {@link IllegalArgumentException}.
     */
    FAST;

    /** Why this kernel does not run such a model, or empty when it does. */
    public Optional<String> unsupported(ModelConfig config, DataType type) {
        if (this == REFERENCE) {
            return Optional.empty();
        }
        if (config.cellType() != CellType.LSTM) {
            return Optional.of("the fast kernel runs LSTM cells only, not " + config.cellType()
                    + " (use Kernel.REFERENCE)");
        }
        if (type != DataType.FLOAT) {
            return Optional.of("the fast kernel runs FLOAT parameters only, not " + type + " (use Kernel.REFERENCE)");
        }
        return Optional.empty();
    }

    /** Whether this kernel runs models of this shape with parameters of this type. */
    public boolean supports(ModelConfig config, DataType type) {
        return unsupported(config, type).isEmpty();
    }

    /** {@link #FAST} where it runs the model, else {@link #REFERENCE}. */
    public static Kernel fastestFor(ModelConfig config, DataType type) {
        return FAST.supports(config, type) ? FAST : REFERENCE;
    }

    /**
     * A model of this shape on this kernel, single-threaded.
     *
     * @throws IllegalArgumentException if this kernel does not run the cell type
     */
    public LanguageModel create(ModelConfig config) {
        return create(config, 1);
    }

    /**
     * A model of this shape on this kernel. The fast kernel splits each batch of streams over up
     * to {@code threads} threads (the caller's and a shared pool's); keep OpenBLAS at one thread
     * ({@link Blas#setThreads}) when {@code threads > 1}. The reference kernel runs on ND4J's
     * own threads and takes 1.
     *
     * @throws IllegalArgumentException if this kernel does not run the cell type, or for a bad thread count
     */
    public LanguageModel create(ModelConfig config, int threads) {
        if (this == REFERENCE) {
            if (threads != 1) {
                throw new IllegalArgumentException("the reference kernel takes 1 thread, not " + threads);
            }
            return new LanguageModel(config);
        }
        unsupported(config, DataType.FLOAT).ifPresent(why -> {
            throw new IllegalArgumentException(why);
        });
        Parallelism parallelism = Parallelism.of(threads);
        return new LanguageModel(config, "fast", new FastLstmLayer(parallelism), new FastSoftmaxHead(parallelism),
                FastStepper::create);
    }

    /**
     * Throws what {@link #unsupported} says, naming {@code what}.
     *
     * @throws IllegalArgumentException if this kernel does not run such parameters
     */
    void require(ParameterSet params, String what) {
        unsupported(params.config(), params.dataType()).ifPresent(why -> {
            throw new IllegalArgumentException(what + ": " + why);
        });
    }
}
