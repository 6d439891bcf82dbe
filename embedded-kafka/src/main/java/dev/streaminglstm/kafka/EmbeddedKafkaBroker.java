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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
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
 *
 * <p>{@link #startSecured} adds a listener that demands what a production cluster demands: TLS, a SCRAM-SHA-512 login
 * and ACLs ({@code StandardAuthorizer}, nothing allowed without one). The broker's own listeners stay plaintext on
 * {@code localhost}, and whoever connects there (principal {@code User:ANONYMOUS}) is the super user: that is how
 * {@link #createScramUser} and {@link #allow} set up users and ACLs, and how a test plays the cluster's operator.
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

    /** Name of the listener of {@link #startSecured}: SASL_SSL with SCRAM-SHA-512. */
    public static final String SECURED_LISTENER = "SECURED";

    /** The only SASL mechanism of the secured listener. */
    public static final ScramMechanism SCRAM = ScramMechanism.SCRAM_SHA_512;

    /** The principal of the plaintext listeners, the super user of a secured broker. */
    private static final String OPERATOR = "User:ANONYMOUS";

    private static final int SCRAM_ITERATIONS = 4096;
    private static final long PROPAGATION_TIMEOUT_MS = 15_000;

    /** The test kit's cluster, or null for a broker of {@link #startOn}. */
    private final KafkaClusterTestKit cluster;
    /** The broker of {@link #startOn}, or null. */
    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final boolean secured;

    private EmbeddedKafkaBroker(KafkaClusterTestKit cluster, boolean secured) {
        this.cluster = cluster;
        this.secured = secured;
        this.server = null;
        this.bootstrapServers = null;
    }

    private EmbeddedKafkaBroker(KafkaRaftServer server, String bootstrapServers) {
        this.cluster = null;
        this.secured = false;
        this.server = server;
        this.bootstrapServers = bootstrapServers;
    }

    /** Starts a broker with the single-node settings above. */
    public static EmbeddedKafkaBroker start() {
        return start(Map.of());
    }

    /** Starts a broker with the single-node settings above, then {@code brokerSettings} on top of them. */
    public static EmbeddedKafkaBroker start(Map<String, String> brokerSettings) {
        return start(brokerSettings, Optional.empty());
    }

    /**
     * Starts a broker that also listens on {@link #SECURED_LISTENER} ({@link #securedBootstrapServers()}): TLS with
     * {@code tls}'s key and certificate, then a SCRAM-SHA-512 login of a user made with {@link #createScramUser}, and
     * the KRaft {@code StandardAuthorizer}, which refuses every operation that no ACL ({@link #allow}) allows.
     */
    public static EmbeddedKafkaBroker startSecured(SelfSignedTls tls) {
        return start(Map.of(), Optional.of(tls));
    }

    private static EmbeddedKafkaBroker start(Map<String, String> brokerSettings, Optional<SelfSignedTls> tls) {
        Exit.setExitProcedure((status, message) -> {
            throw new IllegalStateException("Kafka broker tried to exit the JVM with status " + status + ": " + message);
        });
        Exit.setHaltProcedure((status, message) -> {
            throw new IllegalStateException("Kafka broker tried to halt the JVM with status " + status + ": " + message);
        });
        KafkaClusterTestKit cluster = null;
        try {
            TestKitNodes nodes = new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build();
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
            SINGLE_NODE_SETTINGS.forEach(builder::setConfigProp);
            tls.ifPresent(identity -> securedSettings(nodes, identity).forEach(builder::setConfigProp));
            brokerSettings.forEach(builder::setConfigProp);
            cluster = builder.build();
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            return new EmbeddedKafkaBroker(cluster, tls.isPresent());
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

    /**
     * The broker's own listener settings (the test kit binds the plaintext ones, whatever port they name) plus the
     * secured listener on a free port of {@code localhost}.
     */
    private static Map<String, String> securedSettings(TestKitNodes nodes, SelfSignedTls tls) {
        String plain = nodes.brokerListenerName().value();
        String controller = nodes.controllerListenerName().value();
        String prefix = "listener.name." + SECURED_LISTENER.toLowerCase(Locale.ROOT) + ".";
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("listeners", plain + "://localhost:0," + controller + "://localhost:0," + SECURED_LISTENER
                + "://localhost:0");
        settings.put("listener.security.protocol.map", plain + ":PLAINTEXT," + controller + ":PLAINTEXT,"
                + SECURED_LISTENER + ":SASL_SSL");
        settings.put("inter.broker.listener.name", plain);
        settings.put(prefix + "sasl.enabled.mechanisms", SCRAM.mechanismName());
        settings.put(prefix + SCRAM.mechanismName().toLowerCase(Locale.ROOT) + ".sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        settings.put(prefix + "ssl.keystore.type", "PKCS12");
        settings.put(prefix + "ssl.keystore.location", tls.keyStore().toString());
        settings.put(prefix + "ssl.keystore.password", tls.keyStorePassword());
        settings.put(prefix + "ssl.key.password", tls.keyStorePassword());
        settings.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        settings.put("allow.everyone.if.no.acl.found", "false");
        settings.put("super.users", OPERATOR);
        return settings;
    }

    /** The {@code host:port} of the plaintext listener: the super user's on a secured broker. */
    public String bootstrapServers() {
        return cluster != null ? cluster.bootstrapServers() : bootstrapServers;
    }

    /**
     * The {@code host:port} of the secured listener.
     *
     * @throws IllegalStateException if the broker was not started by {@link #startSecured}
     */
    public String securedBootstrapServers() {
        requireSecured();
        int port = cluster.brokers().values().iterator().next().boundPort(ListenerName.normalised(SECURED_LISTENER));
        return "localhost:" + port;
    }

    /**
     * Makes (or gives a new password to) a SCRAM-SHA-512 user of the secured listener, and waits until the broker
     * knows it.
     */
    public void createScramUser(String user, String password) {
        requireSecured();
        withAdmin("create SCRAM user " + user, admin -> {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(SCRAM, SCRAM_ITERATIONS), password))).all().get();
            awaitPropagation("SCRAM user " + user, () -> admin.describeUserScramCredentials().all().get()
                    .containsKey(user));
            return null;
        });
    }

    /** An ACL that lets {@code User:user}, from any host, do {@code operation} on the resource. */
    public static AclBinding acl(String user, AclOperation operation, ResourceType type, String name,
            PatternType pattern) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry("User:" + user, "*", operation, AclPermissionType.ALLOW));
    }

    /** Creates the ACLs and waits until the broker's authorizer applies every one of them. */
    public void allow(AclBinding... acls) {
        requireSecured();
        withAdmin("create ACLs " + Arrays.toString(acls), admin -> {
            admin.createAcls(List.of(acls)).all().get();
            awaitPropagation("ACLs", () -> new HashSet<>(admin.describeAcls(AclBindingFilter.ANY).values().get())
                    .containsAll(Set.of(acls)));
            return null;
        });
    }

    /** Deletes the ACLs and waits until the broker's authorizer no longer applies any of them. */
    public void revoke(AclBinding... acls) {
        requireSecured();
        withAdmin("delete ACLs " + Arrays.toString(acls), admin -> {
            admin.deleteAcls(Arrays.stream(acls).map(AclBinding::toFilter).toList()).all().get();
            awaitPropagation("ACL deletions", () -> admin.describeAcls(AclBindingFilter.ANY).values().get().stream()
                    .noneMatch(List.of(acls)::contains));
            return null;
        });
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
        withAdmin("create topics " + Arrays.toString(names), admin -> {
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
            return null;
        });
    }

    /** One admin call on the plaintext listener; checked failures become {@link IllegalStateException}s. */
    private <T> T withAdmin(String what, AdminCall<T> call) {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        try (Admin admin = Admin.create(properties)) {
            return call.apply(admin);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while trying to " + what, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot " + what + ": " + e.getCause(), e.getCause());
        }
    }

    /** Users and ACLs go to the controller first; the broker applies them a moment later. */
    private static void awaitPropagation(String what, Condition applied) throws InterruptedException, ExecutionException {
        long deadline = System.currentTimeMillis() + PROPAGATION_TIMEOUT_MS;
        while (!applied.holds()) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("the broker did not apply the new " + what + " within "
                        + PROPAGATION_TIMEOUT_MS + " ms");
            }
            Thread.sleep(20);
        }
    }

    private void requireSecured() {
        if (!secured) {
            throw new IllegalStateException("this broker has no secured listener: start it with startSecured");
        }
    }

    private interface AdminCall<T> {
        T apply(Admin admin) throws InterruptedException, ExecutionException;
    }

    private interface Condition {
        boolean holds() throws InterruptedException, ExecutionException;
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
