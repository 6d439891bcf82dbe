package dev.streaminglstm.job.training;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.job.merging.TrainedLoss;
import dev.streaminglstm.job.versions.PublishedModels;
import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a subtask starts when the job is restored at a parallelism other than the snapshot's (the replicas are a
 * union list state, so every new subtask sees all old ones):
 * <ul>
 *   <li>every new subtask starts its replica and its base from the same parameters: the global model as it stood at
 *       the restored checkpoint, plus the old subtasks' unsent deltas averaged as the merger would have averaged
 *       them;</li>
 *   <li>new subtask 0 alone sends those unsent deltas, summed into one {@link #inherited} delta, so no delta is
 *       applied twice and no trained progress is lost, and the global model reaches the parameters the replicas
 *       start from;</li>
 *   <li>new subtask {@code i} takes the optimiser state of old subtask {@code i mod p_old} (optimiser moments depend
 *       on no parameter values, so any old one is a fair start).</li>
 * </ul>
 *
 * @param baseVersion the global version the replicas start from
 * @param start the replicas' common start
 * @param optimizerState the optimiser state this subtask takes over
 * @param inherited what this subtask sends once on open, or null
 */
record RescalePlan(long baseVersion, ParameterSet start, byte[] optimizerState, ParameterDelta inherited) {
    private static final Logger LOG = LoggerFactory.getLogger(RescalePlan.class);

    /**
     * @param globalAtLeast the global model at the restored checkpoint, at or above the given version (every old
     *     replica's base is a version the merger had reached); empty if it cannot be found
     */
    static RescalePlan of(List<ReplicaSnapshot> old, int subtask, int parallelism, ModelConfig model,
            LongFunction<Optional<PublishedModels.Start>> globalAtLeast) throws IOException {
        List<ReplicaSnapshot> bySubtask = old.stream().sorted(Comparator.comparingInt(ReplicaSnapshot::subtask)).toList();
        int oldParallelism = bySubtask.size();
        ReplicaSnapshot newestBase = bySubtask.get(0);
        ParameterSet unsent = ParameterSet.zeros(model, DataType.FLOAT);
        Progress progress = Progress.NONE;
        for (ReplicaSnapshot r : bySubtask) {
            if (r.baseVersion() > newestBase.baseVersion()) {
                newestBase = r;
            }
            if (r.unsent().any()) {
                unsent.addi(ParameterSet.fromFlatFloats(model, r.replica(), DataType.FLOAT)
                        .subi(ParameterSet.fromFlatFloats(model, r.base(), DataType.FLOAT)));
                progress = progress.plus(r.unsent());
            }
        }
        long fallbackVersion = newestBase.baseVersion();
        float[] fallbackBase = newestBase.base();
        PublishedModels.Start global = globalAtLeast.apply(fallbackVersion).orElseGet(() -> {
            LOG.warn("rescaled from {} to {} training subtasks: the global model of the restored checkpoint is not"
                    + " in the store; replicas start from the newest old base, version {}", oldParallelism,
                    parallelism, fallbackVersion);
            // the counters of a start are not read here: the merger keeps the totals
            return new PublishedModels.Start(fallbackVersion,
                    ParameterSet.fromFlatFloats(model, fallbackBase, DataType.FLOAT), 0, 0, 0, TrainedLoss.NONE);
        });
        ParameterSet start = global.parameters().copy().addi(unsent.copy().muli(1.0 / oldParallelism));
        ParameterDelta inherited = null;
        if (subtask == 0 && progress.any()) {
            // The merger divides every delta by the current parallelism; the old ones were meant for the old one.
            inherited = ParameterDelta.of(0, global.version(),
                    unsent.muli((double) parallelism / oldParallelism).toFlatFloats(), progress);
        }
        return new RescalePlan(global.version(), start, bySubtask.get(subtask % oldParallelism).optimizer(),
                inherited);
    }
}
