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
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.store.CorruptPointerException;
import dev.streaminglstm.store.CorruptVersionException;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import dev.streaminglstm.store.StoredModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The model and optimiser a job configuration describes. */
public final class TrainingSetup {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingSetup.class);

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
     * Where a job that starts without a checkpoint begins: the store's newest good version, so that
     * a job submitted again against the same store continues its model, its counters and its
     * lineage, or the seeded initial parameters (version 0, counters 0) when nothing was published.
     *
     * @param version the version the parameters are, 0 for the initial ones
     * @param tokensTrained tokens trained into that version since the first one
     * @param windowsTrained windows trained into that version since the first one
     * @param skippedSteps optimiser steps skipped on the way to that version
     */
    public record Start(long version, ParameterSet parameters, long tokensTrained, long windowsTrained,
            long skippedSteps) {}

    /**
     * Reads the version {@code LATEST} points at. If that version does not verify, or {@code LATEST}
     * itself is unreadable, the newest committed version below it (below every version, for an
     * unreadable pointer) that verifies is taken instead, and the versions skipped are logged.
     *
     * @throws IllegalStateException if the version taken is a model of another shape, or something
     *     was published but no version verifies
     */
    public static Start start(JobConfig c) throws IOException {
        ModelConfig shape = modelConfig(c);
        ModelStore store = ModelStores.open(c.store());
        List<Long> candidates = new ArrayList<>(store.versionNumbers());
        Collections.reverse(candidates);
        List<String> skipped = new ArrayList<>();
        try {
            OptionalLong latest = store.latestVersion();
            if (latest.isEmpty()) {
                return new Start(0, ParameterSet.initialize(shape, DataType.FLOAT, c.seed()), 0, 0, 0);
            }
            candidates.removeIf(v -> v > latest.getAsLong());
            if (candidates.isEmpty() || candidates.get(0) != latest.getAsLong()) {
                skipped.add("version " + latest.getAsLong() + " (LATEST) does not exist");
            }
        } catch (CorruptPointerException e) {
            skipped.add(e.getMessage());
        }
        for (long v : candidates) {
            StoredModel stored;
            try {
                stored = store.readVersion(v);
            } catch (CorruptVersionException e) {
                skipped.add(e.getMessage());
                continue;
            }
            ParameterSet p;
            try {
                p = floatParameters(stored.parameters(), shape);
            } catch (ModelFormatException e) {
                throw new IllegalStateException("the model store " + c.store() + " holds version " + v
                        + " of another model (" + e.getMessage() + "): give this job another --store, or the same model flags");
            }
            if (!skipped.isEmpty()) {
                LOG.warn("model store {}: continuing from version {}, the newest that verifies; skipped: {}",
                        c.store(), v, String.join("; ", skipped));
            }
            ModelManifest m = stored.manifest();
            return new Start(v, p, m.getTokensTrained(), m.getWindowsTrained(), m.getSkippedSteps());
        }
        throw new IllegalStateException("the model store " + c.store() + " has published models but holds no version"
                + " that verifies (" + String.join("; ", skipped) + "): repair it, or give this job another --store");
    }

    /**
     * The parameters of a stored parameter file ({@link ModelFile}) as FLOAT, the type training runs on.
     *
     * @throws ModelFormatException if the file is not a model of {@code shape}
     */
    static ParameterSet floatParameters(byte[] parameterFile, ModelConfig shape) throws IOException {
        return ModelFile.read(new ByteArrayInputStream(parameterFile), shape).parameters().castTo(DataType.FLOAT);
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
