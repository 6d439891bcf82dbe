package dev.streaminglstm.quality;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.core.train.Trainer;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.merging.GlobalModel;
import dev.streaminglstm.job.merging.TrainedLoss;
import dev.streaminglstm.job.training.Replica;
import dev.streaminglstm.job.training.StreamTrainer;
import dev.streaminglstm.job.training.StreamTrainingState;
import dev.streaminglstm.job.training.WindowBatcher;
import dev.streaminglstm.sandbox.corpus.Corpus;
import dev.streaminglstm.sandbox.corpus.CorpusReplayer;
import dev.streaminglstm.schema.TextEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Learner (b): the pipeline's model trained by the job's own training classes alone, no Flink and no Kafka: the
 * sandbox producer's chunks, in the order it sends them (the order one input partition gives the training
 * operator), through a {@link StreamTrainer} on a map with the job's batch size, window and optimiser. Batches are
 * formed by the input alone (full batches only, as the job with {@code --flush-ms 0 --flush-on-checkpoint=false}
 * forms them). Its deltas go out where the pipeline's did (at the window counts of its versions, as the job sends a
 * delta before each checkpoint barrier, or every N windows) and are added up as the merger adds them, so the global
 * model after {@code W} windows can be compared with the pipeline's version of {@code W} windows.
 */
final class SameOrderReplay {

    /**
     * What the replay trained.
     *
     * @param curve held-out bpc at the points, and the training loss of every batch before its step
     * @param globalAtWindows the deltas added up when they reached the windows compared, if they did exactly
     * @param trainedLossAtWindows the training loss those deltas reported, as the merger sums it
     */
    record Result(Curve curve, Optional<ParameterSet> globalAtWindows, Optional<TrainedLoss> trainedLossAtWindows) {}

    private SameOrderReplay() {}

    /** The chunks the sandbox's producer sends for {@code corpus}, in order. */
    static List<TextEvent> events(Corpus corpus, int streams, int chunkBytes, int passes) {
        MockProducer<byte[], byte[]> producer =
                new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        CorpusReplayer.builder(producer, "text-in", corpus).streams(streams).chunkBytes(chunkBytes).passes(passes)
                .build().run();
        List<TextEvent> events = new ArrayList<>();
        for (ProducerRecord<byte[], byte[]> record : producer.history()) {
            try {
                events.add(TextEvent.getDecoder().decode(record.value()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return events;
    }

    /**
     * Trains on {@code events} in order, evaluating at {@code points}.
     *
     * @param versionWindows the windows trained of each of the pipeline's versions, ascending: where its deltas were
     *     sent, when the job sends one before each checkpoint barrier
     * @param compareAtWindows the global model is kept when the deltas added up reach exactly this many windows
     */
    static Result run(JobConfig config, List<TextEvent> events, long[] points, HeldOut heldOut,
            long[] versionWindows, long compareAtWindows) throws Exception {
        ModelConfig model = config.model().config();
        ParameterSet initial = ParameterSet.initialize(model, DataType.FLOAT, config.seed());
        Replica replica = Replica.start(model, config.model().kernel(), config.optimizer().config(), 0,
                initial.copy());
        replica.stepSizes(config.training());
        GlobalModel global = new GlobalModel(model, initial.copy(), 0, 0, 0, Double.NaN, TrainedLoss.NONE, false);
        ParameterSet[] kept = new ParameterSet[1];
        TrainedLoss[] keptLoss = new TrainedLoss[1];
        TrainedLoss[] trained = {TrainedLoss.NONE};
        long[] tokens = new long[1];
        long[] windowsTrained = new long[1];
        Map<String, StreamTrainingState> states = new HashMap<>();
        WindowBatcher batcher = new WindowBatcher(config.training().batch(), 0);
        StreamTrainer trainer = new StreamTrainer(config.training().window(), config.training().publishEveryWindows(),
                0, replica, batcher, new StreamTrainer.StreamStates() {
                    @Override
                    public StreamTrainingState get(String id) {
                        return states.get(id);
                    }

                    @Override
                    public void put(String id, StreamTrainingState s) {
                        states.put(id, s);
                    }
                }, null, delta -> {
                    global.add(delta, 1);
                    if (global.windows() == compareAtWindows) {
                        kept[0] = global.parameters().copy();
                        keptLoss[0] = global.trainedLoss();
                    }
                }, new StreamTrainer.Listener() {
                    @Override
                    public void batchTrained(int windows, Trainer.Step step, long nanos) {
                        tokens[0] += step.tokens();
                        windowsTrained[0] += windows;
                        trained[0] = trained[0].plus(step.lossNats() * step.tokens(), step.tokens());
                    }
                });
        Evaluations evaluations = new Evaluations(points, heldOut);
        long started = System.nanoTime();
        // the replica's live parameters, read while training waits
        ServableModel replicaModel = new ServableModel(0, config.model().kernel().create(model),
                replica.parameters());
        int nextVersion = 0;
        for (TextEvent event : events) {
            trainer.accept(event);
            while (nextVersion < versionWindows.length && versionWindows[nextVersion] < windowsTrained[0]) {
                nextVersion++; // passed within one chunk: batches that differ from the pipeline's
            }
            if (nextVersion < versionWindows.length && versionWindows[nextVersion] == windowsTrained[0]) {
                trainer.publish(); // the pipeline's barrier came after this chunk
            }
            if (evaluations.due(tokens[0])) {
                evaluations.evaluate(tokens[0], replicaModel);
            }
        }
        double seconds = (System.nanoTime() - started - evaluations.nanos()) / 1e9;
        if (!evaluations.finished()) {
            evaluations.evaluate(tokens[0], replicaModel);
        }
        OptionalDouble prequential =
                trained[0].tokens() > 0 ? OptionalDouble.of(trained[0].bpc()) : OptionalDouble.empty();
        Curve curve = new Curve("same order", evaluations.points(), tokens[0] / seconds, prequential);
        return new Result(curve, Optional.ofNullable(kept[0]), Optional.ofNullable(keptLoss[0]));
    }
}
