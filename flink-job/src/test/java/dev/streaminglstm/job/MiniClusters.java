package dev.streaminglstm.job;

import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.input.InputRecord;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

/**
 * The Flink MiniCluster the integration tests run their jobs on (one TaskManager with two slots), and environments
 * that submit to it without restarts.
 */
public final class MiniClusters {

    private MiniClusters() {}

    /** The test cluster; register it as {@code @RegisterExtension static final}. */
    public static MiniClusterExtension twoSlots() {
        return twoSlots(new Configuration());
    }

    /** The test cluster with {@code configuration} (a copy is taken when it starts), for example a metrics reporter. */
    public static MiniClusterExtension twoSlots(Configuration configuration) {
        return new MiniClusterExtension(() -> new MiniClusterResourceConfiguration.Builder()
                .setConfiguration(new Configuration(configuration))
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(2)
                .build());
    }

    /** An environment at {@code parallelism} in which a failure fails the job at once: no restarts. */
    public static StreamExecutionEnvironment environment(int parallelism) {
        return environment(new Configuration(), parallelism);
    }

    /** {@link #environment(int)} with {@code settings} as well (not changed), for example a savepoint to start from. */
    public static StreamExecutionEnvironment environment(Configuration settings, int parallelism) {
        Configuration conf = new Configuration(settings);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(parallelism);
        return env;
    }

    /**
     * An environment at parallelism 1 whose job restarts from its last checkpoint after a failure, up to
     * {@code attempts} times {@code delay} apart, as a deployed job does.
     */
    public static StreamExecutionEnvironment withRestarts(int attempts, Duration delay) {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, attempts);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, delay);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(1);
        return env;
    }

    /** The job's input topic as it is now, a bounded source: the job ends once it has read it. */
    public static DataStream<InputRecord> inputUpToNow(StreamExecutionEnvironment env, JobConfig config) {
        return env.fromSource(KafkaConnectors.sourceBuilder(config).setBounded(OffsetsInitializer.latest()).build(),
                WatermarkStrategy.noWatermarks(), "text-in");
    }
}
