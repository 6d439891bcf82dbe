package dev.streaminglstm.cli;

import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.store.ModelStore;
import java.io.IOException;
import java.util.OptionalLong;

/** Which stored version the commands that run a model ({@code sample}, {@code eval}) load. */
final class ModelLoading {
    private ModelLoading() {}

    /**
     * Reads and decodes {@code version}, or the version readers serve (the pinned one, else LATEST) when null, on
     * the fastest kernel that runs it.
     *
     * @throws IOException if the version cannot be read, does not verify or is not a parameter file
     * @throws IllegalStateException if no version is given and none is published yet
     */
    static ServableModel load(ModelStore store, Long version) throws IOException {
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
        ServableModel model;
        try {
            model = ServableModel.decodeOnFastestKernel(chosen, file);
        } catch (IOException e) {
            throw new IOException("model version " + chosen + ": " + e.getMessage(), e);
        }
        if (model.config().vocabSize() != ByteVocabulary.SIZE) {
            throw new IllegalStateException("model version " + chosen + " has " + model.config().vocabSize()
                    + " tokens, not the byte vocabulary's " + ByteVocabulary.SIZE);
        }
        return model;
    }
}
