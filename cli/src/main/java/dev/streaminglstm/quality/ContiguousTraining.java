package dev.streaminglstm.quality;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.nn.LanguageModel;
import dev.streaminglstm.core.nn.WindowBatch;
import dev.streaminglstm.core.optim.LearningRateSchedule;
import dev.streaminglstm.core.optim.Optimizer;
import dev.streaminglstm.core.optim.OptimizerConfig;
import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.core.train.Trainer;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import java.util.OptionalDouble;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Learners (c) and (e): {@code lstm-core} alone on the training text's bytes cut into {@code B} contiguous streams
 * (the classic offline set-up: stream {@code b} is the {@code b}-th of {@code B} equal pieces), windows of
 * {@code T} with each stream's state carried, one optimiser step per batch. With {@code B = 1} and a short window
 * it is an online learner reading the text once, and the loss of each window before its step is its prequential
 * code length.
 */
final class ContiguousTraining {
    private ContiguousTraining() {}

    /**
     * Trains {@code passes} times over {@code text} (each pass from zero states), evaluating at {@code points}.
     *
     * @param name the learner's name in the table
     * @param network the model trained, on its kernel
     */
    static Curve run(String name, LanguageModel network, OptimizerConfig optimizer, LearningRateSchedule schedule,
            long seed, byte[] text, int streams, int window, int passes, long[] points, HeldOut heldOut) {
        ModelConfig model = network.config();
        int[] tokens = ByteVocabulary.fromBytes(text);
        int length = tokens.length / streams;
        if (length < 2) {
            throw new IllegalArgumentException("the text has too few bytes for " + streams + " streams");
        }
        ParameterSet parameters = ParameterSet.initialize(model, DataType.FLOAT, seed);
        Trainer trainer = new Trainer(network, parameters, Optimizer.create(optimizer, model, DataType.FLOAT));
        ServableModel live = new ServableModel(0, network, parameters);
        Evaluations evaluations = new Evaluations(points, heldOut);
        long trained = 0;
        double nats = 0;
        long started = System.nanoTime();
        for (int pass = 0; pass < passes; pass++) {
            RecurrentState state = RecurrentState.zeros(model, streams, DataType.FLOAT);
            for (int start = 0; start + 1 < length; start += window) {
                int end = Math.min(start + window, length - 1);
                // [B][end - start + 1]: the window's inputs and, shifted by one, its targets
                int[][] batch = new int[streams][];
                for (int b = 0; b < streams; b++) {
                    batch[b] = java.util.Arrays.copyOfRange(tokens, b * length + start, b * length + end + 1);
                }
                trainer.optimizer().scaleLearningRate(schedule.factor(trainer.optimizer().stepsApplied() + 1));
                Trainer.Step step = trainer.train(state, new WindowBatch(batch, null, null, ByteVocabulary.START));
                state = step.nextState();
                trained += step.tokens();
                nats += step.lossNats() * step.tokens();
                if (evaluations.due(trained)) {
                    evaluations.evaluate(trained, live);
                }
            }
        }
        double seconds = (System.nanoTime() - started - evaluations.nanos()) / 1e9;
        if (!evaluations.finished()) {
            evaluations.evaluate(trained, live);
        }
        return new Curve(name, evaluations.points(), trained / seconds,
                OptionalDouble.of(nats / trained / Math.log(2)));
    }
}
