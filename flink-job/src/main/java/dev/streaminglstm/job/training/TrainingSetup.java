package dev.streaminglstm.job.training;

import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.optim.OptimizerConfig;
import dev.streaminglstm.core.optim.OptimizerKind;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.core.format.ModelFile;
import dev.streaminglstm.core.format.ModelFormatException;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import dev.streaminglstm.store.StoredModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.nd4j.linalg.api.buffer.DataType;

/** The model and optimiser a job configuration describes. */
public final class TrainingSetup {
    private TrainingSetup() {}

    public static ModelConfig modelConfig(JobConfig c) {
        return new ModelConfig(ByteVocabulary.SIZE, c.embedSize(), c.hiddenSize(), c.layers(),
                CellType.valueOf(c.cellType().name()), c.conditioningSize());
    }

    public static OptimizerConfig optimizerConfig(JobConfig c) {
        OptimizerKind kind = OptimizerKind.valueOf(c.optimizer().name());
        return switch (kind) {
            case SGD -> OptimizerConfig.sgd(c.learningRate(), c.clipNorm());
            case ADAGRAD -> OptimizerConfig.adagrad(c.learningRate(), c.clipNorm());
            case ADAM -> OptimizerConfig.adam(c.learningRate(), c.clipNorm());
        };
    }

    /**
     * Where a job that starts without a checkpoint begins: the store's newest version, so that a
     * job submitted again against the same store continues its model and its numbering, or the
     * seeded initial parameters (version 0) when the store is empty.
     *
     * @param version the version the parameters are, 0 for the initial ones
     */
    public record Start(long version, ParameterSet parameters) {}

    /**
     * @throws IllegalStateException if the store's newest version is a model of another shape
     */
    public static Start start(JobConfig c) throws IOException {
        ModelConfig shape = modelConfig(c);
        ModelStore store = ModelStores.open(c.store());
        OptionalLong latest = store.latestVersion();
        if (latest.isEmpty()) {
            return new Start(0, ParameterSet.initialize(shape, DataType.FLOAT, c.seed()));
        }
        StoredModel stored = store.readVersion(latest.getAsLong());
        try {
            ParameterSet p = ModelFile.read(new ByteArrayInputStream(stored.parameters()), shape).parameters();
            return new Start(latest.getAsLong(), p.castTo(DataType.FLOAT));
        } catch (ModelFormatException e) {
            throw new IllegalStateException("the model store " + c.store() + " holds version " + latest.getAsLong()
                    + " of another model (" + e.getMessage() + "): give this job another --store, or the same model flags");
        }
    }

    /** The hyper-parameters written into every parameter file and manifest. */
    public static Map<String, String> hyperParameters(JobConfig c) {
        Map<String, String> m = new LinkedHashMap<>(optimizerConfig(c).toMap());
        m.put("training.window", Integer.toString(c.windowLength()));
        m.put("training.batch", Integer.toString(c.windowsPerBatch()));
        m.put("training.parallelism", Integer.toString(c.trainingParallelism()));
        m.put("training.seed", Long.toString(c.seed()));
        return m;
    }
}
