package dev.streaminglstm.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node Kafka broker (KRaft, broker and controller combined) running inside this JVM, on a free
 * local port with its data in a temporary directory that {@link #close()} deletes. For the sandbox command and
 * for tests; never for a cluster deployment.
 *
 * <p>Internal topics use replication factor 1 and consumer groups start without the initial rebalance delay.
 * While a broker runs, Kafka's {@link Exit} procedures throw {@link IllegalStateException} instead of ending the
 * JVM (a fatal broker error would otherwise kill the sandbox or the test run); {@link #close()} restores them.
 *
 * <p>{@link #startOn} places a broker instead: on one address and port, with its data in a folder that outlives it.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Map<String, String> SINGLE_NODE_SETTINGS = Map.of(
            "offsets.topic.replication.factor", "1",
            "offsets.topic.num.partitions", "1",
            "transaction.state.log.replication.factor", "1",
            "transaction.state.log.min.isr", "1",
            "transaction.state.log.num.partitions", "1",
            "group.initial.rebalance.delay.ms", "0");

    private static final String CLIENT_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    /** The test kit's cluster, or null for a broker of {@link #startOn}. */
    private final KafkaClusterTestKit cluster;
    /** The broker of {@link #startOn}, or null. */
    private final KafkaRaftServer server;
    private final String bootstrapServers;

    private EmbeddedKafkaBroker(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
        this.server = null;
        this.bootstrapServers = null;
    }

    private EmbeddedKafkaBroker(KafkaRaftServer server, String bootstrapServers) {
        this.cluster = null;
        this.server = server;
        this.bootstrapServers = bootstrapServers;
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

    /**
     * Starts a broker that listens for clients on {@code host:port} only (port 0: a free port of {@code host}), and
     * keeps its log and metadata in {@code dataDir}, which outlives {@link #close()} and the JVM: a broker started
     * again on the same folder (after a clean stop or a {@code kill -9}) has its topics and records back. It is the
     * broker Kafka's own {@code kafka-server-start} runs ({@link KafkaRaftServer}: broker and controller in one
     * node, the controller on a free port of the loopback interface), with the single-node settings above.
     * Unlike {@link #start()} (the test kit's broker, which listens on every interface), nothing else listens.
     *
     * @throws IllegalStateException if the broker cannot start, for example because {@code host:port} is taken
     */
    public static EmbeddedKafkaBroker startOn(InetAddress host, int port, Path dataDir) {
        Exit.setExitProcedure((status, message) -> {
            throw new IllegalStateException("Kafka broker tried to exit the JVM with status " + status + ": " + message);
        });
        Exit.setHaltProcedure((status, message) -> {
            throw new IllegalStateException("Kafka broker tried to halt the JVM with status " + status + ": " + message);
        });
        String address = hostPort(host, port);
        KafkaRaftServer server = null;
        try {
            address = hostPort(host, port == 0 ? freePort(host) : port);
            Path logDir = Files.createDirectories(dataDir);
            KafkaConfig config = new KafkaConfig(placedSettings(host, address, logDir), false);
            formatIfNew(logDir);
            server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();
            EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, clientAddress(host, address));
            broker.awaitReady();
            return broker;
        } catch (Exception e) {
            if (server != null) {
                stopQuietly(server, e);
            }
            resetExit();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("cannot start a Kafka broker on " + address + " with its data in "
                    + dataDir + ": " + e, e);
        }
    }

    /**
     * A KRaft node of one broker and one controller: clients on {@code address}, the controller on loopback. A broker
     * on every interface tells its clients this machine's name (Kafka refuses to advertise 0.0.0.0).
     */
    private static Map<String, Object> placedSettings(InetAddress host, String address, Path logDir)
            throws IOException {
        String controller = hostPort(InetAddress.getLoopbackAddress(), freePort(InetAddress.getLoopbackAddress()));
        Map<String, Object> settings = new HashMap<>(SINGLE_NODE_SETTINGS);
        settings.put("process.roles", "broker,controller");
        settings.put("node.id", "1");
        settings.put("controller.quorum.voters", "1@" + controller);
        settings.put("listeners", CLIENT_LISTENER + "://" + address + "," + CONTROLLER_LISTENER + "://" + controller);
        settings.put("listener.security.protocol.map",
                CLIENT_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        if (host.isAnyLocalAddress()) {
            settings.put("advertised.listeners", CLIENT_LISTENER + "://" + InetAddress.getLocalHost().getHostName()
                    + address.substring(address.lastIndexOf(':')));
        }
        settings.put("inter.broker.listener.name", CLIENT_LISTENER);
        settings.put("controller.listener.names", CONTROLLER_LISTENER);
        settings.put("log.dirs", logDir.toString());
        return settings;
    }

    /** Formats a new data folder, as {@code kafka-storage format} does; one with data is left as it is. */
    private static void formatIfNew(Path logDir) throws Exception {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return;
        }
        new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setNodeId(1)
                .setClusterId(Uuid.randomUuid().toString())
                .setDirectories(List.of(logDir.toString()))
                .setMetadataLogDirectory(logDir.toString())
                .setControllerListenerName(CONTROLLER_LISTENER)
                .setReleaseVersion(MetadataVersion.latestProduction())
                .run();
    }

    /** A port of {@code host} that nothing listens on now. */
    private static int freePort(InetAddress host) throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(host, 0));
            return socket.getLocalPort();
        }
    }

    /** {@code host:port} as Kafka's listeners write it: an IPv6 address in brackets. */
    private static String hostPort(InetAddress host, int port) {
        String name = host.getHostAddress();
        return (host instanceof Inet6Address ? "[" + name + "]" : name) + ":" + port;
    }

    /** Where a client on this machine connects: a broker on every interface is on the loopback interface too. */
    private static String clientAddress(InetAddress host, String address) {
        return host.isAnyLocalAddress() ? "localhost" + address.substring(address.lastIndexOf(':')) : address;
    }

    /** Waits until the broker answers a client. */
    private void awaitReady() throws InterruptedException, ExecutionException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        try (Admin admin = Admin.create(properties)) {
            while (admin.describeCluster().nodes().get().isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the broker did not answer within " + READY_TIMEOUT);
                }
                TimeUnit.MILLISECONDS.sleep(50);
            }
        }
    }

    /** The {@code host:port} clients connect to. */
    public String bootstrapServers() {
        return cluster != null ? cluster.bootstrapServers() : bootstrapServers;
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

    /**
     * Stops the broker and gives Kafka's exit procedures back; deletes its data, unless the broker was placed by
     * {@link #startOn}.
     */
    @Override
    public void close() {
        try {
            if (cluster != null) {
                cluster.close();
            } else {
                server.shutdown();
                server.awaitShutdown();
            }
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

    private static void stopQuietly(KafkaRaftServer server, Exception cause) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    private static void resetExit() {
        Exit.resetExitProcedure();
        Exit.resetHaltProcedure();
    }
}
