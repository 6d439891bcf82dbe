package dev.streaminglstm.job;

import dev.streaminglstm.job.access.KafkaAccessCheck;
import dev.streaminglstm.job.config.ConfigException;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.inference.InferenceOperator;
import dev.streaminglstm.job.input.DeadLetterRouter;
import dev.streaminglstm.job.input.InputRecord;
import dev.streaminglstm.job.KafkaConnectors;
import dev.streaminglstm.job.training.ModelMerger;
import dev.streaminglstm.job.training.ParameterDelta;
import dev.streaminglstm.job.training.TrainingOperator;
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
 * The streaming-lstm job graph:
 *
 * <pre>
 *  text-in ─▶ validate ─┬─▶ dead letters ─▶ text-dlq
 *                       └─▶ keyBy(stream) ─┬─▶ train (p) ─▶ merge (1) ─▶ model store
 *                                          └─▶ infer ─▶ predictions      ▲ reads LATEST
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
        KafkaAccessCheck.requireJobAccessBeforeSubmitting(config); // a refused login or ACL ends it here
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        configure(env, config);
        build(env, config, KafkaConnectors.source(config), KafkaConnectors.predictionSink(config),
                KafkaConnectors.deadLetterSink(config), true);
        env.execute("streaming-lstm");
    }

    /**
     * Exactly-once checkpoints at the configured interval, the configured state backend
     * ({@code state.backend.type}) and max parallelism (the number of key groups, fixed for the
     * life of the job's savepoints).
     */
    public static void configure(StreamExecutionEnvironment env, JobConfig config) {
        env.enableCheckpointing(config.checkpointIntervalMs(), CheckpointingMode.EXACTLY_ONCE);
        env.setMaxParallelism(config.maxParallelism());
        Configuration backend = new Configuration();
        backend.set(StateBackendOptions.STATE_BACKEND, config.stateBackend().flinkName());
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
                .name("validate");
        valid.getSideOutput(DeadLetterRouter.DEAD_LETTERS).sinkTo(deadLetters).uid("dead-letters").name("dead-letters");

        // Every keyed operator gets the configured max parallelism explicitly, so that its key groups (and with them
        // every savepoint's keyed state) do not depend on the environment's default.
        KeyedStream<TextEvent, String> byStream = valid.keyBy(TextEvent::getStreamId);
        SingleOutputStreamOperator<ParameterDelta> deltas = byStream
                .transform("train", TypeInformation.of(ParameterDelta.class), new TrainingOperator(config, flushOnCheckpoint))
                .uid("train")
                .setParallelism(config.trainingParallelism())
                .setMaxParallelism(config.maxParallelism());
        deltas.global()
                .transform("merge", Types.VOID, new ModelMerger(config))
                .uid("merge")
                .setParallelism(1)
                .setMaxParallelism(1)
                .sinkTo(new DiscardingSink<>())
                .uid("merge-end")
                .name("merge-end")
                .setParallelism(1);
        byStream.process(new InferenceOperator(config))
                .uid("infer")
                .name("infer")
                .setParallelism(config.inferenceParallelism())
                .setMaxParallelism(config.maxParallelism())
                .sinkTo(predictions)
                .uid("predictions")
                .name("predictions")
                .setParallelism(config.inferenceParallelism());
        return deltas;
    }
}
