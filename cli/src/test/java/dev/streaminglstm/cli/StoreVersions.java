package dev.streaminglstm.cli;

import dev.streaminglstm.core.format.ModelFile;
import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterNames;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.schema.HyperParameters;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.ModelShape;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Writes model versions into a local store the way the job's merger does (a parameter file and its manifest, then
 * {@code LATEST}), with parameters whose predictions are known exactly: all weights zero, so every prediction is the
 * softmax of the head bias alone, whatever was read before.
 */
final class StoreVersions {

    /** A small LSTM over the byte vocabulary. */
    static final ModelConfig SHAPE = new ModelConfig(ByteVocabulary.SIZE, 4, 8, 1, CellType.LSTM, 0);

    private final ModelStore store;
    private final String uri;

    StoreVersions(Path root) throws IOException {
        this.uri = root.toUri().toString();
        this.store = ModelStores.open(uri);
    }

    /** The store's location, for --store. */
    String uri() {
        return uri;
    }

    ModelStore store() {
        return store;
    }

    /** Parameters that predict every token with the same probability, 1/258. */
    static ParameterSet uniform() {
        return ParameterSet.zeros(SHAPE, DataType.FLOAT);
    }

    /** Parameters that predict {@code token} with logit {@code logit} and every other token with logit 0. */
    static ParameterSet favouring(int token, double logit) {
        ParameterSet parameters = uniform();
        parameters.get(ParameterNames.HEAD_BIAS).putScalar(0, token, logit);
        return parameters;
    }

    /** Writes {@code version} and moves LATEST to it. */
    void publish(long version, Instant createdAt, Double lossBpc, long tokensTrained, ParameterSet parameters)
            throws IOException {
        write(version, createdAt, lossBpc, tokensTrained, parameters);
        store.moveLatest(version);
    }

    /** Writes and commits {@code version} without moving LATEST. */
    void write(long version, Instant createdAt, Double lossBpc, long tokensTrained, ParameterSet parameters)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelFile.write(bytes, SHAPE, Map.of("optimizer", "ADAM"), parameters);
        ModelManifest manifest = ModelManifest.newBuilder()
                .setVersion(version)
                .setParentVersion(version > 1 ? version - 1 : null)
                .setCreatedAt(createdAt)
                .setTokensTrained(tokensTrained)
                .setWindowsTrained(tokensTrained / 64)
                .setSkippedSteps(0)
                .setRecentLossBpc(lossBpc)
                .setTrainingPrequentialBpc(lossBpc == null ? null : lossBpc + 0.5)
                .setTrainingPrequentialTokens(lossBpc == null ? 0 : tokensTrained)
                .setCheckpointId(version + 100)
                .setShape(ModelShape.newBuilder()
                        .setCellType(SHAPE.cellType().name())
                        .setVocabSize(SHAPE.vocabSize())
                        .setEmbedSize(SHAPE.embedSize())
                        .setHiddenSize(SHAPE.hiddenSize())
                        .setLayers(SHAPE.layers())
                        .setConditioningSize(0)
                        .build())
                .setHyperParameters(HyperParameters.newBuilder()
                        .setOptimizer("ADAM")
                        .setLearningRate(0.002)
                        .setClipNorm(5.0)
                        .setWindowLength(64)
                        .setBatchSize(16)
                        .setExtra(Map.of())
                        .build())
                .setParametersChecksum("")
                .setParametersBytes(0)
                .setFormatVersion(ModelFile.FORMAT_VERSION)
                .build();
        store.writeVersion(manifest, bytes.toByteArray());
    }
}
