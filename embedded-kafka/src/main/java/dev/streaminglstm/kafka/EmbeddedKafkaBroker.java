package dev.streaminglstm.kafka;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.utils.Exit;

/**
 * A real single-node Kafka broker (KRaft, broker and controller combined) running inside this JVM, on a free
 * local port with its data in a temporary directory that {@link #close()} deletes. For the sandbox command and
 * for tests; never for a cluster deployment.
 *
 * <p>Internal topics use replication factor 1 and consumer groups start without the initial rebalance delay.
 * While a broker runs, Kafka's {@link Exit} procedures throw {@link IllegalStateException} instead of ending the
 * JVM (a fatal broker error would otherwise kill the sandbox or the test run); {@link #close()} restores them.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Map<String, String> SINGLE_NODE_SETTINGS = Map.of(
            "offsets.topic.replication.factor", "1",
            "offsets.topic.num.partitions", "1",
            "transaction.state.log.replication.factor", "1",
            "transaction.state.log.min.isr", "1",
            "transaction.state.log.num.partitions", "1",
            "group.initial.rebalance.delay.ms", "0");

    private final KafkaClusterTestKit cluster;

    private EmbeddedKafkaBroker(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
    }

    /** Starts a broker with the single-node settings above. */
    public static EmbeddedKafkaBroker start() {
        return start(Map.of());
    }

    /** Starts a broker with the single-node settings above, then {@code brokerSettings} on top of them. */
    public static EmbeddedKafkaBroker start(Map<String, String> brokerSettings) {
        Exit.setExitProcedure((status, message) -> {
            throw new IllegalStateException("Kafka broker tried to exit the JVM with status " + status + ": " + message);
        });
        Exit.setHaltProcedure((status, message) -> {
            throw new IllegalStateException("Kafka broker tried to halt the JVM with status " + status + ": " + message);
        });
        KafkaClusterTestKit cluster = null;
        try {
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build());
            SINGLE_NODE_SETTINGS.forEach(builder::setConfigProp);
            brokerSettings.forEach(builder::setConfigProp);
            cluster = builder.build();
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            return new EmbeddedKafkaBroker(cluster);
        } catch (Exception e) {
            closeQuietly(cluster, e);
            resetExit();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("cannot start the embedded Kafka broker: " + e, e);
        }
    }

    /** The {@code host:port} clients connect to. */
    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /**
     * Creates each named topic with {@code partitions} partitions and replication factor 1, waiting until the
     * broker has created them; a topic that already exists is left as it is.
     */
    public void createTopics(int partitions, String... names) {
        createTopics(partitions, Map.of(), names);
    }

    /**
     * Creates each named topic as {@link #createTopics(int, String...)} does, with these topic settings (for example
     * {@code message.timestamp.type=LogAppendTime}).
     */
    public void createTopics(int partitions, Map<String, String> topicSettings, String... names) {
        List<NewTopic> topics = Arrays.stream(names)
                .map(name -> new NewTopic(name, partitions, (short) 1).configs(topicSettings))
                .toList();
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        try (Admin admin = Admin.create(properties)) {
            for (var created : admin.createTopics(topics).values().entrySet()) {
                try {
                    created.getValue().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + created.getKey() + ": " + e.getCause(),
                                e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics " + Arrays.toString(names), e);
        }
    }

    /** Stops the broker, deletes its data and gives Kafka's exit procedures back. */
    @Override
    public void close() {
        try {
            cluster.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the embedded Kafka broker", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the embedded Kafka broker cleanly: " + e, e);
        } finally {
            resetExit();
        }
    }

    private static void closeQuietly(KafkaClusterTestKit cluster, Exception cause) {
        if (cluster == null) {
            return;
        }
        try {
            cluster.close();
        } catch (Exception e) {
            cause.addSuppressed(e);
        }
    }

    private static void resetExit() {
        Exit.resetExitProcedure();
        Exit.resetHaltProcedure();
    }
}
