package dev.streaminglstm.core.serve;

import dev.streaminglstm.core.format.ModelFile;
import dev.streaminglstm.core.format.StoredParameters;
import dev.streaminglstm.core.infer.Evaluator;
import dev.streaminglstm.core.infer.InferenceSession;
import dev.streaminglstm.core.kernel.Kernel;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.nn.LanguageModel;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.function.LongConsumer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * One stored model version, decoded once and ready to serve: read streams token by token, score text, sample.
 * The one decoding of a parameter file that inference, the command line and the training start all use.
 *
 * @param version the store version (0 for parameters that were never stored)
 * @param model the network of the version's shape, on the kernel it was decoded for
 * @param parameters its parameters, in float
 */
public record ServableModel(long version, LanguageModel model, ParameterSet parameters) {

    /**
     * Decodes a parameter file ({@link ModelFile}; its format checks the version and the checksum) of any shape, to
     * run on {@code kernel}.
     *
     * @throws dev.streaminglstm.core.format.ModelFormatException if the file is not a readable parameter file
     * @throws IllegalArgumentException if {@code kernel} does not run the stored model
     */
    public static ServableModel decode(long version, byte[] parameterFile, Kernel kernel) throws IOException {
        return of(version, ModelFile.read(new ByteArrayInputStream(parameterFile)), kernel);
    }

    /**
     * Decodes a parameter file that must hold a model of {@code expected}'s shape, to run on {@code kernel}.
     *
     * @throws dev.streaminglstm.core.format.ModelFormatException if it is unreadable or of another shape
     * @throws IllegalArgumentException if {@code kernel} does not run the stored model
     */
    public static ServableModel decode(long version, byte[] parameterFile, ModelConfig expected, Kernel kernel)
            throws IOException {
        return of(version, ModelFile.read(new ByteArrayInputStream(parameterFile), expected), kernel);
    }

    /**
     * Decodes a parameter file of any shape, to run on the fastest kernel that runs it
     * ({@link Kernel#fastestFor}): for readers of whatever was stored, such as the command line.
     *
     * @throws dev.streaminglstm.core.format.ModelFormatException if the file is not a readable parameter file
     */
    public static ServableModel decodeOnFastestKernel(long version, byte[] parameterFile) throws IOException {
        StoredParameters stored = ModelFile.read(new ByteArrayInputStream(parameterFile));
        return of(version, stored, Kernel.fastestFor(stored.config(), DataType.FLOAT));
    }

    private static ServableModel of(long version, StoredParameters stored, Kernel kernel) {
        return new ServableModel(version, kernel.create(stored.config()), stored.parameters().castTo(DataType.FLOAT));
    }

    public ModelConfig config() {
        return model.config();
    }

    /**
     * A reader of one stream from a zero state, token by token (a {@code <start>} token zeroes it again).
     *
     * @param conditioning the stream's conditioning vector, or null for unconditioned models
     */
    public InferenceSession session(float[] conditioning) {
        return new InferenceSession(model, parameters, conditioning, ByteVocabulary.START);
    }

    /**
     * Bits per token of this model on {@code tokens}, read in windows of {@code window} with the state carried
     * across them (see {@link Evaluator#bitsPerToken}).
     *
     * @param progress called with the number of tokens scored so far, or null
     */
    public double bitsPerToken(int[] tokens, int window, LongConsumer progress) {
        return Evaluator.bitsPerToken(model, parameters, tokens, window, ByteVocabulary.START, progress);
    }

    /** The shape, e.g. {@code LSTM 258 tokens, embed 32, hidden 128 x 1}. */
    public String describe() {
        ModelConfig c = config();
        return c.cellType() + " " + c.vocabSize() + " tokens, embed " + c.embedSize() + ", hidden " + c.hiddenSize()
                + " x " + c.layers() + (c.conditioned() ? ", conditioning " + c.conditioningSize() : "");
    }
}
