package dev.streaminglstm.job.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.train.Trainer;
import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.schema.TextEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** Training without Flink: an offline replay of the operator's input gives the operator's batches and model. */
class StreamTrainerTest {
    @TempDir
    Path store;

    /** A trainer on a map of stream states, from the job's seeded start; its deltas go to {@code deltas}. */
    static StreamTrainer replay(JobConfig config, List<ParameterDelta> deltas, Replica[] replica,
            List<Integer> batches) {
        replica[0] = Replica.start(config.model().config(), config.model().kernel(), config.optimizer().config(), 0,
                ParameterSet.initialize(config.model().config(), DataType.FLOAT, config.seed()));
        replica[0].stepSizes(config.training());
        Map<String, StreamTrainingState> states = new HashMap<>();
        WindowBatcher batcher = new WindowBatcher(config.training().batch(), config.training().flushMs());
        return new StreamTrainer(config.training().window(), config.training().publishEveryWindows(), 0, replica[0],
                batcher, new StreamTrainer.StreamStates() {
                    @Override
                    public StreamTrainingState get(String id) {
                        return states.get(id);
                    }

                    @Override
                    public void put(String id, StreamTrainingState s) {
                        states.put(id, s);
                    }
                }, null, deltas::add, new StreamTrainer.Listener() {
                    @Override
                    public void batchTrained(int windows, Trainer.Step step, long nanos) {
                        batches.add(windows);
                    }
                });
    }

    /** Chunks of random length from 5 streams, one of them backlogged by a long chunk, with a replay. */
    static List<TextEvent> input() {
        Random random = new Random(3);
        List<TextEvent> events = new ArrayList<>();
        for (int seq = 0; seq < 12; seq++) {
            for (int s = 0; s < 5; s++) {
                int length = s == 4 && seq == 0 ? 80 : 1 + random.nextInt(9);
                StringBuilder text = new StringBuilder();
                for (int i = 0; i < length; i++) {
                    text.append((char) ('a' + random.nextInt(26)));
                }
                events.add(TrainingOperatorTest.event("s" + s, seq, text.toString(), seq == 0));
            }
        }
        events.add(TrainingOperatorTest.event("s1", 3, "replayed", false));
        return events;
    }

    @Test
    void aReplayOnAMapTrainsTheOperatorsBatchesBitForBit() throws Exception {
        JobConfig config = TrainingOperatorTest.config(store, "--batch", "3", "--publish-every-windows", "4");
        List<ParameterDelta> offline = new ArrayList<>();
        Replica[] replica = new Replica[1];
        List<Integer> batches = new ArrayList<>();
        StreamTrainer trainer = replay(config, offline, replica, batches);
        for (TextEvent e : input()) {
            trainer.accept(e);
        }
        trainer.finish();

        TrainingOperator op = StreamingLstmJob.trainer(config, false);
        List<ParameterDelta> online;
        try (var h = TrainingOperatorTest.harness(op)) {
            h.open();
            for (TextEvent e : input()) {
                h.processElement(e, 0);
            }
            h.endInput();
            online = h.extractOutputValues();
        }

        assertThat(op.metrics().batches.getCount()).isEqualTo(batches.size());
        assertThat(batches.stream().mapToLong(Integer::longValue).sum()).isEqualTo(
                op.metrics().windowsTrained.getCount()).isGreaterThan(10);
        assertThat(replica[0].parameters().toFlatFloats()).isEqualTo(op.replica().parameters().toFlatFloats());
        assertThat(offline).hasSameSizeAs(online);
        for (int i = 0; i < online.size(); i++) {
            assertThat(offline.get(i).delta).as("delta %d", i).isEqualTo(online.get(i).delta);
            assertThat(offline.get(i).windows).isEqualTo(online.get(i).windows);
        }
    }
}
