package dev.streaminglstm.job.versions;

import dev.streaminglstm.core.format.ModelFile;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.optim.OptimizerConfig;
import dev.streaminglstm.job.config.TrainingSettings;
import dev.streaminglstm.job.merging.TrainedLoss;
import dev.streaminglstm.schema.HyperParameters;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.ModelShape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the job writes beside each version's parameters: its manifest, and the hyper-parameters in both. */
public final class Manifests implements Serializable {
    private static final long serialVersionUID = 1L;

    private final ModelConfig model;
    private final OptimizerConfig optimizer;
    private final TrainingSettings training;
    private final long seed;

    public Manifests(ModelConfig model, OptimizerConfig optimizer, TrainingSettings training, long seed) {
        this.model = model;
        this.optimizer = optimizer;
        this.training = training;
        this.seed = seed;
    }

    /** The manifest's form of a model's shape. */
    public static ModelShape shape(ModelConfig config) {
        return ModelShape.newBuilder()
                .setCellType(config.cellType().name())
                .setVocabSize(config.vocabSize())
                .setEmbedSize(config.embedSize())
                .setHiddenSize(config.hiddenSize())
                .setLayers(config.layers())
                .setConditioningSize(config.conditioningSize())
                .build();
    }

    /** The hyper-parameters written into every parameter file and manifest. */
    public Map<String, String> hyperParameters() {
        Map<String, String> m = new LinkedHashMap<>(optimizer.toMap());
        m.put("training.window", Integer.toString(training.window()));
        m.put("training.batch", Integer.toString(training.batch()));
        m.put("training.parallelism", Integer.toString(training.parallelism()));
        m.put("training.seed", Long.toString(seed));
        return m;
    }

    /** The training loss a manifest records; none for a manifest written before it did. */
    public static TrainedLoss trainedLoss(ModelManifest m) {
        Double bpc = m.getTrainingPrequentialBpc();
        return bpc == null ? TrainedLoss.NONE : TrainedLoss.ofBpc(bpc, m.getTrainingPrequentialTokens());
    }

    /** The parameter file ({@link ModelFile}) of {@code parameters}. */
    public byte[] parameterFile(ParameterSet parameters) throws IOException {
        // sized for the float arrays and a header, so that a draft every 250 ms does not copy its bytes as it grows
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(
                (int) Math.min(Integer.MAX_VALUE - 8, parameters.size() * Float.BYTES + 65_536));
        ModelFile.write(bytes, model, hyperParameters(), parameters);
        return bytes.toByteArray();
    }

    /**
     * The manifest of a version; its checksum and size are filled in by the store.
     *
     * @param parent the version it continued from, 0 for none
     * @param recentLossBpc the recent training loss, NaN for none
     * @param trainedLoss the training loss of every token trained in
     */
    public ModelManifest manifest(long version, long parent, long checkpointId, long tokens, long windows,
            long skippedSteps, double recentLossBpc, TrainedLoss trainedLoss) {
        return ModelManifest.newBuilder()
                .setVersion(version)
                .setParentVersion(parent > 0 ? parent : null)
                .setCreatedAt(Instant.ofEpochMilli(System.currentTimeMillis()))
                .setTokensTrained(tokens)
                .setWindowsTrained(windows)
                .setSkippedSteps(skippedSteps)
                .setRecentLossBpc(Double.isNaN(recentLossBpc) ? null : recentLossBpc)
                .setTrainingPrequentialBpc(trainedLoss.tokens() > 0 ? trainedLoss.bpc() : null)
                .setTrainingPrequentialTokens(trainedLoss.tokens())
                .setCheckpointId(checkpointId)
                .setShape(shape(model))
                .setHyperParameters(HyperParameters.newBuilder()
                        .setOptimizer(optimizer.kind().name())
                        .setLearningRate(optimizer.learningRate())
                        .setClipNorm(optimizer.clipNorm())
                        .setWindowLength(training.window())
                        .setBatchSize(training.batch())
                        .setExtra(hyperParameters())
                        .build())
                .setParametersChecksum("")
                .setParametersBytes(0)
                .setFormatVersion(ModelFile.FORMAT_VERSION)
                .build();
    }
}
