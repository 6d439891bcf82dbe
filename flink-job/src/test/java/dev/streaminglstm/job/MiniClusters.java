package dev.streaminglstm.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
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
}
