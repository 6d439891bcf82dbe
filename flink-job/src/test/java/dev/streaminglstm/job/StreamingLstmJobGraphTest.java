package dev.streaminglstm.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.job.config.JobConfig;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

/**
 * The job graph as {@link StreamingLstmJob#configure} and {@link StreamingLstmJob#build} make it:
 * what a savepoint's compatibility depends on (uids, max parallelism) and the state backend.
 */
class StreamingLstmJobGraphTest {

    static StreamGraph graph(String... flags) {
        String[] args = new String[flags.length + 4];
        args[0] = "--bootstrap-servers";
        args[1] = "localhost:1";
        args[2] = "--store";
        args[3] = "file:///tmp/unused-store";
        System.arraycopy(flags, 0, args, 4, flags.length);
        JobConfig config = JobConfig.parse(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        StreamingLstmJob.configure(env, config);
        StreamingLstmJob.buildOnKafka(env, config);
        return env.getStreamGraph();
    }

    static Map<String, StreamNode> byName(StreamGraph graph) {
        Map<String, StreamNode> nodes = new TreeMap<>();
        graph.getStreamNodes().forEach(node -> nodes.put(node.getOperatorName(), node));
        return nodes;
    }

    @Test
    void everyOperatorHasAUidAndTheKeyedOnesTheConfiguredMaxParallelism() {
        Map<String, StreamNode> nodes = byName(graph("--parallelism", "2", "--inference-parallelism", "3",
                "--max-parallelism", "256"));

        assertThat(nodes.values()).allSatisfy(node ->
                assertThat(node.getTransformationUID()).as("uid of %s", node.getOperatorName()).isNotBlank());
        assertThat(nodes.values().stream().map(StreamNode::getTransformationUID))
                .contains("text-in", "validate", "train", "merge", "infer")
                .doesNotHaveDuplicates();
        assertThat(nodes.get("train").getParallelism()).isEqualTo(2);
        assertThat(nodes.get("train").getMaxParallelism()).isEqualTo(256);
        assertThat(nodes.get("infer").getParallelism()).isEqualTo(3);
        assertThat(nodes.get("infer").getMaxParallelism()).isEqualTo(256);
        assertThat(nodes.get("merge").getMaxParallelism()).isEqualTo(1);
    }

    @Test
    void theMaxParallelismDefaultsTo128WhateverTheParallelism() {
        Map<String, StreamNode> nodes = byName(graph("--parallelism", "100", "--inference-parallelism", "100"));
        assertThat(nodes.get("train").getMaxParallelism()).isEqualTo(128);
        assertThat(nodes.get("infer").getMaxParallelism()).isEqualTo(128);
    }

    @Test
    void validatedRecordsWaitInNetworkBuffersAtMostTheBufferTimeout() {
        assertThat(byName(graph()).get("validate").getBufferTimeout()).as("the job's default, not Flink's 100")
                .isEqualTo(10);
        assertThat(byName(graph("--buffer-timeout-ms", "0")).get("validate").getBufferTimeout()).isZero();
    }

    @Test
    void theStateBackendFlagReachesTheJobConfiguration() {
        assertThat(graph().getJobConfiguration().get(StateBackendOptions.STATE_BACKEND)).isEqualTo("hashmap");
        assertThat(graph("--state-backend", "rocksdb").getJobGraph().getJobConfiguration()
                .get(StateBackendOptions.STATE_BACKEND)).isEqualTo("rocksdb");
    }
}
