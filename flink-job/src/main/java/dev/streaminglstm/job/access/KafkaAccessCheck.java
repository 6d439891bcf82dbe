package dev.streaminglstm.job.access;

import dev.streaminglstm.job.config.KafkaSettings;
import dev.streaminglstm.job.config.KafkaSettings.PredictionGuarantee;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import javax.net.ssl.SSLHandshakeException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the brokers, before any data moves, whether a client with given properties may do what it is about to do:
 * log in (TLS handshake, SASL), then read or write each topic, read the consumer group, write under the
 * transactional ids. Each question is one cheap admin request or probe that changes nothing a reader would see;
 * the first refusal is a {@link KafkaRefusal} naming the brokers, the principal and the refused operation.
 *
 * <p>{@link #requireJobAccess} asks everything the job needs, and runs in {@code StreamingLstmJob.main} before the
 * job is submitted, and on the cluster as the source's enumerator and readers start ({@link RefusalCheckingSource}),
 * so that a refusal met after a restart (a revoked ACL, a rotated password) fails the job at once instead of
 * restarting into it. Only a refusal or a missing topic stops anything: a probe that fails otherwise proves nothing
 * either way, and is logged.
 */
public final class KafkaAccessCheck implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaAccessCheck.class);

    /** How long the job's check waits for the brokers, unless the client's default.api.timeout.ms says otherwise. */
    private static final int JOB_TIMEOUT_MS = 30_000;

    /** Suffix of the transactional id that {@link #requireTransactionalWrite} probes with. */
    private static final String PROBE_SUFFIX = "-access-check";

    private final Properties clientProperties;
    private final String brokers;
    private final String principal;
    private final List<String> unresolved;
    private final int timeoutMs;
    private final Admin admin;

    private KafkaAccessCheck(Properties clientProperties, int timeoutMs) {
        this.clientProperties = clientProperties;
        this.brokers = clientProperties.getProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
        this.principal = KafkaPrincipal.describe(clientProperties);
        this.unresolved = KafkaPrincipal.unresolvedPlaceholders(clientProperties);
        this.timeoutMs = timeoutMs;
        Properties adminProperties = new Properties();
        adminProperties.putAll(clientProperties);
        adminProperties.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "streaming-lstm-access-check");
        try {
            this.admin = Admin.create(adminProperties);
        } catch (KafkaException e) {
            throw new KafkaUnreachableException("cannot connect to Kafka at " + brokers + ": " + rootMessage(e), e);
        }
    }

    /**
     * Checks, within {@code timeoutMs}, that the brokers at the properties' {@code bootstrap.servers} let this
     * client log in.
     *
     * @throws KafkaRefusal if they refuse the login (TLS or SASL)
     * @throws KafkaUnreachableException if they do not answer in time, or the client cannot be made
     */
    public static KafkaAccessCheck login(Properties clientProperties, int timeoutMs) {
        KafkaAccessCheck check = new KafkaAccessCheck(clientProperties, timeoutMs);
        try {
            check.await(check.admin.describeCluster().nodes());
            return check;
        } catch (ExecutionException e) {
            check.close();
            throw check.failure(e.getCause(), "logging in");
        } catch (RuntimeException e) {
            check.close();
            throw e;
        }
    }

    /**
     * {@link #requireJobAccess} where the job is submitted from ({@code StreamingLstmJob.main}, on the machine running
     * {@code flink run} or on the JobManager in application mode), unless the client properties hold placeholders
     * that cannot be resolved here, such as a {@code ${env:...}} variable set on the cluster only: then the
     * check is left to the source on the cluster, which runs it as it starts ({@link RefusalCheckingSource}).
     */
    public static void requireJobAccessBeforeSubmitting(KafkaSettings kafka) {
        List<String> unresolved = KafkaPrincipal.unresolvedPlaceholders(kafka.clientConfig());
        if (!unresolved.isEmpty()) {
            LOG.warn("Not checking the job's access to Kafka before submitting it: {} cannot be resolved here; the "
                    + "source checks it on the cluster as it starts", String.join(", ", unresolved));
            return;
        }
        requireJobAccess(kafka);
    }

    /**
     * Checks everything the job with these settings does with Kafka: log in; READ the input topic and its consumer
     * group; WRITE the prediction and dead-letter topics; with EXACTLY_ONCE, WRITE under its transactional ids.
     * Brokers that do not answer within the client's {@code default.api.timeout.ms} (30 s if unset) are not a
     * refusal: that is logged and left to the job's own clients, which wait for them.
     *
     * @throws KafkaRefusal if anything is refused
     * @throws IllegalStateException if one of the topics does not exist
     */
    public static void requireJobAccess(KafkaSettings kafka) {
        Properties properties = kafka.clientConfig();
        int timeoutMs = Integer.parseInt(properties.getProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                Integer.toString(JOB_TIMEOUT_MS)).trim());
        try (KafkaAccessCheck check = login(properties, timeoutMs)) {
            int inputPartitions = check.requireTopic(kafka.inputTopic(), AclOperation.READ);
            check.requireGroupRead(kafka.groupId(), kafka.inputTopic(), inputPartitions);
            check.requireTopic(kafka.predictionTopic(), AclOperation.WRITE);
            check.requireTopic(kafka.deadLetterTopic(), AclOperation.WRITE);
            if (kafka.predictionGuarantee() == PredictionGuarantee.EXACTLY_ONCE) {
                check.requireTransactionalWrite(kafka.groupId() + "-predictions");
            }
        } catch (KafkaUnreachableException e) {
            LOG.warn("Could not check the job's access to Kafka: {}", e.getMessage());
        }
    }

    /**
     * Checks that {@code topic} exists and that this client may do {@code operation} (READ, WRITE) on it.
     *
     * @return the topic's number of partitions
     * @throws KafkaRefusal if no ACL allows the operation
     * @throws IllegalStateException if the topic does not exist
     */
    public int requireTopic(String topic, AclOperation operation) {
        String refused = operation + " on topic '" + topic + "'";
        TopicDescription description;
        try {
            description = await(admin.describeTopics(List.of(topic),
                    new DescribeTopicsOptions().includeAuthorizedOperations(true)).allTopicNames()).get(topic);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new IllegalStateException("Kafka at " + brokers + " has no topic '" + topic + "'; create it first",
                        e.getCause());
            }
            throw failure(e.getCause(), refused);
        }
        Set<AclOperation> allowed = description.authorizedOperations();
        // an authorizer answers with the operations it allows; a broker without one, with all or none
        if (allowed != null && !allowed.isEmpty() && !allowed.contains(operation) && !allowed.contains(AclOperation.ALL)) {
            throw refusal(refused + " is not allowed by any ACL (allowed: " + allowed.stream().map(Enum::name).sorted()
                    .collect(Collectors.joining(", ")) + ")", null);
        }
        return description.partitions().size();
    }

    /**
     * Checks that this client may READ (commit offsets of) {@code group}. The probe commits an offset for partition
     * {@code partitions} of {@code topic}, one past its last: the broker checks the group's ACL first, then
     * answers that the partition does not exist, and commits nothing.
     *
     * @throws KafkaRefusal if no ACL allows it
     */
    public void requireGroupRead(String group, String topic, int partitions) {
        TopicPartition nowhere = new TopicPartition(topic, partitions);
        String attempted = "READ on consumer group '" + group + "'";
        try {
            await(admin.alterConsumerGroupOffsets(group, Map.of(nowhere, new OffsetAndMetadata(0))).all());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) { // that one is the expected answer
                requireNoRefusal(e.getCause(), attempted);
            }
        }
    }

    /**
     * Checks that this client may WRITE under transactional ids starting with {@code prefix}: a producer with the
     * id {@code prefix-access-check} initialises its transactions (registers the id, commits nothing) and closes.
     *
     * @throws KafkaRefusal if no ACL allows it
     */
    public void requireTransactionalWrite(String prefix) {
        Properties producerProperties = new Properties();
        producerProperties.putAll(clientProperties);
        producerProperties.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + PROBE_SUFFIX);
        producerProperties.put(ProducerConfig.CLIENT_ID_CONFIG, "streaming-lstm-access-check");
        producerProperties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Integer.toString(timeoutMs));
        String refused = "WRITE on transactional ids '" + prefix + "*'";
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(producerProperties, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
        } catch (KafkaException e) {
            requireNoRefusal(e, refused);
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ZERO); // nothing to wait for: every answer is in, or will not come
    }

    /** The answer, within the timeout; a failed answer stays an {@link ExecutionException} for the caller. */
    private <T> T await(KafkaFuture<T> answer) throws ExecutionException {
        try {
            return answer.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Kafka at " + brokers, e);
        }
    }

    /** What a failed request means, in one line: a refusal, brokers that did not answer, or Kafka's own words. */
    private RuntimeException failure(Throwable cause, String attempted) {
        if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
            return unreachable(cause);
        }
        Optional<KafkaRefusal> refusal = refusalOf(cause, attempted);
        if (refusal.isPresent()) {
            return refusal.get();
        }
        return new IllegalStateException("Kafka at " + brokers + ": " + attempted + " failed: " + rootMessage(cause),
                cause);
    }

    /** Throws the refusal among a probe's failure, if any; any other failure of a probe is only logged. */
    private void requireNoRefusal(Throwable probeFailure, String attempted) {
        Optional<KafkaRefusal> refusal = refusalOf(probeFailure, attempted);
        if (refusal.isPresent()) {
            throw refusal.get();
        }
        LOG.warn("Kafka at {}: could not check {}: {}", brokers, attempted, rootMessage(probeFailure));
    }

    /** The refusal among {@code failure}'s causes, in words, if Kafka refused anything. */
    private Optional<KafkaRefusal> refusalOf(Throwable failure, String attempted) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SaslAuthenticationException) {
                return Optional.of(refusal("the login failed: " + t.getMessage(), t));
            }
            if (t instanceof SslAuthenticationException) {
                return Optional.of(refusal("the TLS handshake failed" + tlsReason(t), t));
            }
            if (t instanceof AuthorizationException) {
                return Optional.of(refusal(attempted + " is not allowed by any ACL", t));
            }
        }
        return Optional.empty();
    }

    private KafkaRefusal refusal(String what, Throwable cause) {
        String hint = unresolved.isEmpty() ? ""
                : " (" + String.join(", ", unresolved) + " could not be resolved where this ran)";
        return new KafkaRefusal("Kafka at " + brokers + " refused " + principal + ": " + what + hint, cause);
    }

    /** Why the handshake failed, in the words of the JDK's TLS; an unknown signer is said plainly. */
    private String tlsReason(Throwable e) {
        Throwable handshake = e;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLHandshakeException) {
                handshake = t;
                break;
            }
        }
        String reason = handshake.getMessage() == null ? rootMessage(e) : handshake.getMessage();
        if (!reason.contains("PKIX") && !reason.contains("certification path")) {
            return " (" + reason + ")";
        }
        return ", the broker's certificate is not trusted by "
                + clientProperties.getProperty("ssl.truststore.location", "the JVM's default trust store")
                + " (" + reason + ")";
    }

    private KafkaUnreachableException unreachable(Throwable cause) {
        return new KafkaUnreachableException("cannot reach Kafka at " + brokers + " within " + timeoutMs
                + " ms (is it running? check --bootstrap-servers and the security properties)", cause);
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
