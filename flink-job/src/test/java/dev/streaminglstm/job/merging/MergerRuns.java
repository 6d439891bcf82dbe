package dev.streaminglstm.job.merging;

import dev.streaminglstm.core.format.ModelFile;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.training.ParameterDelta;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.StoredModel;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.nd4j.linalg.api.buffer.DataType;

/** Mergers run on Flink's test harness against a real store, for the tests of the merger and of its readers. */
public final class MergerRuns {
    private MergerRuns() {}

    /** A small model (seed 7) trained at {@code parallelism}, its store in {@code dir}. */
    public static JobConfig config(Path dir, int parallelism) {
        return JobConfig.parse("--bootstrap-servers", "localhost:1", "--store", dir.toUri().toString(),
                "--embed", "4", "--hidden", "8", "--seed", "7", "--parallelism", Integer.toString(parallelism));
    }

    /**
     * Runs a merger of {@code config}, restored from {@code restored} (a job started afresh if null): before each of
     * {@code checkpoints}, which all complete, it merges a delta of {@code value} per parameter over one window of
     * four tokens.
     */
    public static void mergeAtCompletedCheckpoints(JobConfig config, OperatorSubtaskState restored, float value,
            long... checkpoints) throws Exception {
        ModelConfig shape = config.model().config();
        try (var h = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            if (restored != null) {
                h.initializeState(restored);
            }
            h.open();
            for (long checkpoint : checkpoints) {
                h.processElement(delta(shape, value, 1, 4), 0);
                h.snapshot(checkpoint, 0);
                h.notifyOfCompletedCheckpoint(checkpoint);
            }
        }
    }

    /** A delta of {@code value} in every parameter, over {@code windows} windows of {@code tokens} tokens. */
    public static ParameterDelta delta(ModelConfig shape, float value, long windows, long tokens) {
        ParameterDelta d = new ParameterDelta();
        d.delta = new float[(int) ParameterSet.zeros(shape, DataType.FLOAT).size()];
        Arrays.fill(d.delta, value);
        d.windows = windows;
        d.tokens = tokens;
        d.lossNats = tokens * 2.0;
        return d;
    }

    /** The parameters of a stored version, flat. */
    public static float[] storedParameters(ModelStore store, long version) throws Exception {
        StoredModel m = store.readVersion(version);
        return ModelFile.read(new ByteArrayInputStream(m.parameters())).parameters().toFlatFloats();
    }
}
