package dev.streaminglstm.job;

import dev.streaminglstm.job.access.KafkaAccessCheck;
import dev.streaminglstm.job.config.ConfigException;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.inference.InferenceOperator;
import dev.streaminglstm.job.input.DeadLetterRouter;
import dev.streaminglstm.job.input.InputRecord;
import dev.streaminglstm.job.merging.ModelMerger;
import dev.streaminglstm.job.training.ParameterDelta;
import dev.streaminglstm.job.training.TrainingOperator;
import dev.streaminglstm.job.versions.Manifests;
import dev.streaminglstm.job.versions.PublishedModels;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.TextEvent;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * The streaming-lstm job graph. Parameters leave the graph for the model store and come back through it
 * ({@link PublishedModels}): Flink 2 has no cyclic dataflow, so the store closes the loop.
 *
 * <pre>
 *  text-in ─▶ validate ─┬─▶ dead letters ─▶ text-dlq
 *                       └─▶ keyBy(stream) ─┬─▶ train (p) ─▶ merge (1) ─▶ model store: versions, LATEST
 *                                          │      ▲ start, rebase (p &gt; 1)      │
 *                                          │      └────────────────────────────┤
 *                                          └─▶ infer ─▶ predictions            │
 *                                                 ▲ serving version (LATEST or a pin)
 *                                                 └────────────────────────────┘
 * </pre>
 *
 * Sources and sinks are arguments, so tests run the same graph on bounded or in-memory ends.
 */
public final class StreamingLstmJob {
    private StreamingLstmJob() {}

    /** Entry point for {@code flink run}: flags as {@link JobConfig#usage()} lists them. */
    public static void main(String[] args) throws Exception {
        JobConfig config;
        try {
            config = JobConfig.parse(args);
        } catch (ConfigException e) {
            System.err.println("streaming-lstm job: " + e.getMessage());
            System.exit(2);
            return;
        }
        KafkaAccessCheck.requireJobAccessBeforeSubmitting(config.kafka()); // a refused login or ACL ends it here
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        configure(env, config);
        buildOnKafka(env, config);
        env.execute("streaming-lstm");
    }

    /**
     * Adds the job's operators to {@code env}, reading and writing the Kafka topics of {@code config}; the source
     * checks the job's access to Kafka as it starts on the cluster ({@link KafkaConnectors#source}).
     */
    public static void buildOnKafka(StreamExecutionEnvironment env, JobConfig config) {
        build(env, config, KafkaConnectors.source(config), KafkaConnectors.predictionSink(config.kafka()),
                KafkaConnectors.deadLetterSink(config.kafka()), config.training().flushOnCheckpoint());
    }

    /**
     * Exactly-once checkpoints at the configured interval, the configured state backend
     * ({@code state.backend.type}) and max parallelism (the number of key groups, fixed for the
     * life of the job's savepoints).
     */
    public static void configure(StreamExecutionEnvironment env, JobConfig config) {
        env.enableCheckpointing(config.state().checkpointIntervalMs(), CheckpointingMode.EXACTLY_ONCE);
        env.setMaxParallelism(config.state().maxParallelism());
        Configuration backend = new Configuration();
        backend.set(StateBackendOptions.STATE_BACKEND, config.state().stateBackend().flinkName());
        env.configure(backend);
    }

    /**
     * Adds the job's operators to {@code env}.
     *
     * @param flushOnCheckpoint train partly filled batches before each checkpoint barrier (the
     *     default); false keeps them in state, so that batches depend on the input alone
     */
    public static void build(StreamExecutionEnvironment env, JobConfig config, Source<InputRecord, ?, ?> source,
            Sink<Prediction> predictions, Sink<DeadLetter> deadLetters, boolean flushOnCheckpoint) {
        buildFrom(env.fromSource(source, WatermarkStrategy.noWatermarks(), "text-in").uid("text-in"),
                config, predictions, deadLetters, flushOnCheckpoint);
    }

    /**
     * The same graph from an input stream already in the environment (tests tap it, e.g. to inject failures).
     *
     * @return the training subtasks' parameter deltas, as they go to the merger (tests observe them)
     */
    public static DataStream<ParameterDelta> buildFrom(DataStream<InputRecord> input, JobConfig config,
            Sink<Prediction> predictions, Sink<DeadLetter> deadLetters, boolean flushOnCheckpoint) {
        SingleOutputStreamOperator<TextEvent> valid = input
                .process(new DeadLetterRouter())
                .uid("validate")
                .name("validate")
                .setBufferTimeout(config.inference().bufferTimeoutMs());
        valid.getSideOutput(DeadLetterRouter.DEAD_LETTERS).sinkTo(deadLetters).uid("dead-letters").name("dead-letters");

        // Every keyed operator gets the configured max parallelism explicitly, so that its key groups (and with them
        // every savepoint's keyed state) do not depend on the environment's default.
        int maxParallelism = config.state().maxParallelism();
        KeyedStream<TextEvent, String> byStream = valid.keyBy(TextEvent::getStreamId);
        SingleOutputStreamOperator<ParameterDelta> deltas = byStream
                .transform("train", TypeInformation.of(ParameterDelta.class), trainer(config, flushOnCheckpoint))
                .uid("train")
                .setParallelism(config.training().parallelism())
                .setMaxParallelism(maxParallelism);
        deltas.global()
                .transform("merge", Types.VOID, merger(config))
                .uid("merge")
                .setParallelism(1)
                .setMaxParallelism(1)
                .sinkTo(new DiscardingSink<>())
                .uid("merge-end")
                .name("merge-end")
                .setParallelism(1);
        byStream.transform("infer", TypeInformation.of(Prediction.class), inference(config))
                .uid("infer")
                .name("infer")
                .setParallelism(config.inference().parallelism())
                .setMaxParallelism(maxParallelism)
                .sinkTo(predictions)
                .uid("predictions")
                .name("predictions")
                .setParallelism(config.inference().parallelism());
        return deltas;
    }

    /** Where the job's models are published and read back. */
    public static PublishedModels models(JobConfig config) {
        return new PublishedModels(config.store(), config.model().config(), config.model().kernel(), config.seed());
    }

    /** The training operator of {@code config}. */
    public static TrainingOperator trainer(JobConfig config, boolean flushOnCheckpoint) {
        return new TrainingOperator(config.training(), config.optimizer().config(), models(config),
                config.state().streamIdleTimeout(), flushOnCheckpoint, config.inference().draftIntervalMs());
    }

    /** The merger of {@code config}. */
    public static ModelMerger merger(JobConfig config) {
        return new ModelMerger(models(config), manifests(config), config.training().parallelism(),
                config.inference().draftIntervalMs());
    }

    /** The inference operator of {@code config}. */
    public static InferenceOperator inference(JobConfig config) {
        return new InferenceOperator(config.inference(), models(config), config.state().streamIdleTimeout(),
                config.seed());
    }

    /** What the merger writes beside each version. */
    public static Manifests manifests(JobConfig config) {
        return new Manifests(config.model().config(), config.optimizer().config(), config.training(), config.seed());
    }
}
