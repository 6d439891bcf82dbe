package dev.streaminglstm.job.training;

import dev.streaminglstm.core.kernel.Kernel;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.nn.WindowBatch;
import dev.streaminglstm.core.optim.LearningRateSchedule;
import dev.streaminglstm.core.optim.Optimizer;
import dev.streaminglstm.core.optim.OptimizerConfig;
import dev.streaminglstm.core.optim.OptimizerStateCodec;
import dev.streaminglstm.core.train.Trainer;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.config.TrainingSettings;
import dev.streaminglstm.job.config.TrainingSettings.PartialBatchStep;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * One training subtask's copy of the global model, with its own optimiser state: it trains batches of windows,
 * hands out its delta since the last one, and rebases on newer global versions keeping its local progress. With
 * one subtask the replica is the global model. Not thread-safe.
 */
public final class Replica {
    private final ModelConfig model;
    private final Trainer trainer;
    /** The parameters the next delta is taken against. */
    private ParameterSet base;
    /** The global version the replica was last rebased on, or started from (0: the initial parameters). */
    private long baseVersion;
    private Progress unsent;
    private LearningRateSchedule schedule = LearningRateSchedule.CONSTANT;
    private PartialBatchStep partialBatchStep = PartialBatchStep.FULL;
    private int batch = 1;

    private Replica(ModelConfig model, Kernel kernel, ParameterSet parameters, Optimizer optimizer, ParameterSet base,
            long baseVersion, Progress unsent) {
        this.model = model;
        this.trainer = new Trainer(kernel.create(model), parameters, optimizer);
        this.base = base;
        this.baseVersion = baseVersion;
        this.unsent = unsent;
    }

    /**
     * A replica of global version {@code version} ({@code parameters}), with a fresh optimiser, trained on
     * {@code kernel}.
     *
     * @throws IllegalArgumentException if {@code kernel} does not run the model
     */
    public static Replica start(ModelConfig model, Kernel kernel, OptimizerConfig optimizer, long version,
            ParameterSet parameters) {
        return new Replica(model, kernel, parameters, Optimizer.create(optimizer, model, DataType.FLOAT), parameters.copy(),
                version, Progress.NONE);
    }

    /** The replica a subtask snapshotted, exactly as it was. */
    static Replica restore(ModelConfig model, Kernel kernel, OptimizerConfig optimizer, ReplicaSnapshot s)
            throws IOException {
        return new Replica(model, kernel, ParameterSet.fromFlatFloats(model, s.replica(), DataType.FLOAT),
                Optimizer.restore(optimizer, OptimizerStateCodec.fromBytes(s.optimizer())),
                ParameterSet.fromFlatFloats(model, s.base(), DataType.FLOAT), s.baseVersion(), s.unsent());
    }

    /** A replica as a rescale plan starts it: from the plan's parameters, with an old subtask's optimiser state. */
    static Replica rescaled(ModelConfig model, Kernel kernel, OptimizerConfig optimizer, RescalePlan plan)
            throws IOException {
        return new Replica(model, kernel, plan.start(), Optimizer.restore(optimizer,
                OptimizerStateCodec.fromBytes(plan.optimizerState())), plan.start().copy(), plan.baseVersion(),
                Progress.NONE);
    }

    /**
     * The step size's rules from now on: the learning-rate schedule (its factor follows the optimiser's steps, which
     * snapshots keep) and how far a batch of fewer than {@code --batch} windows steps.
     */
    public void stepSizes(TrainingSettings training) {
        this.schedule = training.schedule();
        this.partialBatchStep = training.partialBatchStep();
        this.batch = training.batch();
    }

    /** Trains one batch, each window from its stream's carried state; the step holds the states to carry on. */
    public Trainer.Step train(List<TokenWindow> windows) {
        int b = windows.size();
        int[][] tokens = new int[b][];
        List<float[]> carried = new ArrayList<>(b);
        float[][] features = model.conditioned() ? new float[b][] : null;
        for (int i = 0; i < b; i++) {
            TokenWindow w = windows.get(i);
            tokens[i] = w.tokens();
            carried.add(w.carried());
            if (features != null) {
                features[i] = w.features() != null ? w.features() : new float[model.conditioningSize()];
            }
        }
        RecurrentState state = RecurrentState.stack(model, carried, DataType.FLOAT);
        trainer.optimizer().scaleLearningRate(schedule.factor(trainer.optimizer().stepsApplied() + 1)
                * partialBatchStep.factor(b, batch));
        Trainer.Step step = trainer.train(state, new WindowBatch(tokens, null, features, ByteVocabulary.START));
        unsent = unsent.plus(new Progress(b, step.tokens(), step.lossNats() * step.tokens(),
                step.report().skipped() ? 1 : 0));
        return step;
    }

    /** Whether at least {@code everyWindows} windows were trained since the last delta. */
    public boolean deltaDue(int everyWindows) {
        return unsent.windows() >= everyWindows;
    }

    /**
     * How far the replica moved since its last delta, and what it trained to get there; the replica becomes the
     * base of the next one. Null if nothing was trained since.
     */
    public ParameterDelta takeDelta(int subtask) {
        if (!unsent.any()) {
            return null;
        }
        ParameterSet replica = trainer.parameters();
        ParameterDelta d = ParameterDelta.of(subtask, baseVersion, replica.minusFlat(base), unsent);
        base.assign(replica);
        unsent = Progress.NONE;
        return d;
    }

    /** replica = global + (replica - base): the newer global version, with the local progress kept. */
    public void rebaseOn(long version, ParameterSet global) {
        ParameterSet replica = trainer.parameters();
        ParameterSet local = replica.copy().subi(base);
        replica.assign(global).addi(local);
        base = global.copy();
        baseVersion = version;
    }

    ReplicaSnapshot snapshot(int subtask) throws IOException {
        return new ReplicaSnapshot(subtask, baseVersion, trainer.parameters().toFlatFloats(), base.toFlatFloats(),
                optimizerState(), unsent);
    }

    /** The replica's parameters (live). */
    public ParameterSet parameters() {
        return trainer.parameters();
    }

    public long baseVersion() {
        return baseVersion;
    }

    /** The optimiser state's bytes. */
    public byte[] optimizerState() throws IOException {
        return OptimizerStateCodec.toBytes(trainer.optimizer().exportState());
    }
}
