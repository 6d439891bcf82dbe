package dev.streaminglstm.job.training;

import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.optim.OptimizerConfig;
import dev.streaminglstm.core.optim.OptimizerKind;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.config.JobConfig;
import java.util.LinkedHashMap;
import java.util.Map;

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
