package dev.streaminglstm.cli;

import dev.streaminglstm.core.format.ModelFile;
import dev.streaminglstm.core.format.StoredParameters;
import dev.streaminglstm.core.kernel.FastLanguageModel;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.nn.LanguageModel;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.store.ModelStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.OptionalLong;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A stored model version decoded for inference, for the commands that run a model ({@code sample}, {@code eval}).
 *
 * @param version    the store version
 * @param model      the network of the version's shape
 * @param parameters its parameters, in float
 */
record LoadedModel(long version, LanguageModel model, ParameterSet parameters) {

    /**
     * Reads and decodes {@code version}, or the version readers serve (the pinned one, else LATEST) when null.
     *
     * @throws IOException if the version cannot be read, does not verify or is not a parameter file
     * @throws IllegalStateException if no version is given and none is published yet
     */
    static LoadedModel load(ModelStore store, Long version) throws IOException {
        long chosen;
        if (version != null) {
            chosen = version;
        } else {
            OptionalLong serving = store.servingVersion();
            if (serving.isEmpty()) {
                throw new IllegalStateException("no model version is published (LATEST) yet; name one with --version");
            }
            chosen = serving.getAsLong();
        }
        byte[] file = store.readVersion(chosen).parameters();
        StoredParameters stored;
        try {
            stored = ModelFile.read(new ByteArrayInputStream(file));
        } catch (IOException e) {
            throw new IOException("model version " + chosen + ": " + e.getMessage(), e);
        }
        if (stored.config().vocabSize() != ByteVocabulary.SIZE) {
            throw new IllegalStateException("model version " + chosen + " has " + stored.config().vocabSize()
                    + " tokens, not the byte vocabulary's " + ByteVocabulary.SIZE);
        }
        return new LoadedModel(chosen, FastLanguageModel.create(stored.config()), stored.parameters().castTo(DataType.FLOAT));
    }

    /** The shape, e.g. {@code LSTM 258 tokens, embed 32, hidden 128 x 1}. */
    String describe() {
        ModelConfig c = model.config();
        return c.cellType() + " " + c.vocabSize() + " tokens, embed " + c.embedSize() + ", hidden " + c.hiddenSize()
                + " x " + c.layers() + (c.conditioned() ? ", conditioning " + c.conditioningSize() : "");
    }
}
