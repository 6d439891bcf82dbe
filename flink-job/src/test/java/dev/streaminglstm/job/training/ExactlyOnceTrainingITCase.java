package dev.streaminglstm.job.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.job.MiniClusters;
import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.input.InputRecord;
import dev.streaminglstm.kafka.KafkaBrokerExtension;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import dev.streaminglstm.store.StoredModel;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once training under failure: in a deterministic configuration (parallelism 1, one
 * input partition, batches decided by the data alone), a run whose input mapper throws three
 * times, each time after 30 records of its attempt and a completed checkpoint (so at three
 * different points of the input), ends with the same published parameters, bit for bit, and the
 * same counters as a run without failures.
 */
class ExactlyOnceTrainingITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    static final String TOPIC = "text-in";
    static final int STREAMS = 6;
    static final int CHUNKS = 60;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void publishedParametersAndCountersEqualThoseOfARunWithoutFailures() throws Exception {
        KAFKA.createTopics(1, TOPIC, "predictions", "text-dlq");
        int produced = produceStreams(new Random(11));

        Run clean = run("clean", 0);
        Run faulty = run("faulty", 3);

        System.out.printf("produced %d records; clean run mapped %d; faulty run mapped %d with %d failures%n",
                produced, clean.recordsMapped(), faulty.recordsMapped(), faulty.failures());
        assertThat(faulty.failures()).as("every injected failure happened").isEqualTo(3);
        assertThat(faulty.recordsMapped()).as("records were replayed").isGreaterThan(produced);
        assertThat(clean.failures()).isZero();
        assertThat(clean.manifest().getWindowsTrained()).isPositive();
        assertThat(faulty.manifest().getWindowsTrained()).isEqualTo(clean.manifest().getWindowsTrained());
        assertThat(faulty.manifest().getTokensTrained()).isEqualTo(clean.manifest().getTokensTrained());
        assertThat(faulty.manifest().getSkippedSteps()).isEqualTo(clean.manifest().getSkippedSteps());
        // every token's training loss counted once: the restored merger state drops what the failed attempts trained
        assertThat(faulty.manifest().getTrainingPrequentialTokens()).isEqualTo(clean.manifest().getTokensTrained());
        assertThat(faulty.manifest().getTrainingPrequentialBpc())
                .isCloseTo(clean.manifest().getTrainingPrequentialBpc(), org.assertj.core.data.Offset.offset(1e-9));
        assertThat(faulty.parameters()).as("final parameters, bit for bit").isEqualTo(clean.parameters());
        assertThat(faulty.manifest().getParametersChecksum()).isEqualTo(clean.manifest().getParametersChecksum());
    }

    /** One job run to the end of its bounded input, and what it published last. */
    record Run(ModelManifest manifest, byte[] parameters, int failures, long recordsMapped) {}

    Run run(String name, int failures) throws Exception {
        String store = dir.resolve(name).toUri().toString();
        JobConfig config = JobConfig.parse("--bootstrap-servers", KAFKA.bootstrapServers(), "--store", store,
                "--group-id", "exactly-once-" + name, "--window", "16", "--batch", "4", "--flush-ms", "0",
                "--publish-every-windows", "8", "--embed", "8", "--hidden", "16", "--checkpoint-interval-ms", "200",
                "--continuation-length", "0", "--top-k", "1", "--seed", "3");
        FailingMapper.reset(failures);

        StreamExecutionEnvironment env = MiniClusters.withRestarts(10, Duration.ofMillis(200));
        StreamingLstmJob.configure(env, config);
        DataStream<InputRecord> input = MiniClusters.inputUpToNow(env, config)
                .map(new FailingMapper())
                .name("fail-after-checkpoints");
        StreamingLstmJob.buildFrom(input, config, new DiscardingSink<>(), new DiscardingSink<>(), false);
        env.execute("exactly-once " + name);

        ModelStore s = ModelStores.open(store);
        StoredModel latest = s.readVersion(s.latestVersion().orElseThrow());
        return new Run(latest.manifest(), latest.parameters(), FailingMapper.FAILURES.get(), FailingMapper.SEEN.get());
    }

    /** Interleaved chunks of several streams, with document starts and a few replays of old chunks. */
    static int produceStreams(Random random) {
        String[] words = {"Europe ", "le ", "Parlement ", "der ", "Rat ", "é ", "δημοκρατία ", "and ", "the ",
            "Commission ", "über ", "para ", "1999. "};
        List<TextEvent> events = new ArrayList<>();
        for (int c = 0; c < CHUNKS; c++) {
            for (int s = 0; s < STREAMS; s++) {
                StringBuilder text = new StringBuilder();
                for (int w = 2 + random.nextInt(4); w > 0; w--) {
                    text.append(words[random.nextInt(words.length)]);
                }
                events.add(TextEvent.newBuilder().setStreamId("doc-" + s).setSequenceNumber(c)
                        .setText(text.toString()).setEventTime(Instant.ofEpochMilli(1_750_000_000_000L + c))
                        .setStartsDocument(c == 0 || random.nextInt(12) == 0).setFeatures(null).build());
                if (c > 2 && random.nextInt(15) == 0) {
                    events.add(events.get(events.size() - 1 - STREAMS)); // a replay, to be dropped
                }
            }
        }
        for (TextEvent e : events) {
            KAFKA.produce(TOPIC, WireFormat.key(e.getStreamId()), WireFormat.value(e));
        }
        return events.size();
    }

    /**
     * Passes records through, slowly enough for checkpoints to complete in between, and throws
     * once per attempt, while failures remain, after {@link #RECORDS_PER_ATTEMPT} records of the
     * attempt and a completed checkpoint. Each restore resumes from a checkpoint taken later
     * than the previous one, so the failures hit different points of the input.
     */
    static final class FailingMapper extends RichMapFunction<InputRecord, InputRecord> implements CheckpointListener {
        static final int RECORDS_PER_ATTEMPT = 30;
        static final AtomicLong SEEN = new AtomicLong();
        static final AtomicInteger FAILURES = new AtomicInteger();
        static final AtomicInteger TO_INJECT = new AtomicInteger();
        private transient volatile boolean checkpointed;
        private transient int seenThisAttempt;

        static void reset(int failures) {
            SEEN.set(0);
            FAILURES.set(0);
            TO_INJECT.set(failures);
        }

        @Override
        public void open(OpenContext openContext) {
            checkpointed = false;
            seenThisAttempt = 0;
        }

        @Override
        public InputRecord map(InputRecord record) throws Exception {
            SEEN.incrementAndGet();
            seenThisAttempt++;
            if (seenThisAttempt >= RECORDS_PER_ATTEMPT && checkpointed && TO_INJECT.get() > 0) {
                TO_INJECT.decrementAndGet();
                FAILURES.incrementAndGet();
                throw new IllegalStateException("injected failure " + FAILURES.get() + " at record " + SEEN.get());
            }
            Thread.sleep(8);
            return record;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            checkpointed = true;
        }
    }
}
