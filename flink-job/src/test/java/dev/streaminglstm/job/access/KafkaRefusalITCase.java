package dev.streaminglstm.job.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.streaminglstm.job.MiniClusters;
import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.config.KafkaSettings;
import dev.streaminglstm.kafka.KafkaBrokerExtension;
import dev.streaminglstm.kafka.SelfSignedTls;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.WireFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.ExceptionUtils;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A wrong password, an untrusted certificate, each missing ACL: {@code StreamingLstmJob.main} refuses to submit the
 * job with one line naming the broker, the principal and what was refused; and a job that reaches the cluster all
 * the same (built without main, as the sandbox builds it) fails at once with that line in its exception, though its
 * restart strategy would allow a thousand restarts.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class KafkaRefusalITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.secured();

    @RegisterExtension
    static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    private static final String PASSWORD = "refusal-test-password";
    private static final String GROUP = "refused-job";
    private static final String UNSET_VARIABLE = "STREAMING_LSTM_TEST_VARIABLE_SET_NOWHERE";

    @TempDir
    static Path dir;

    @BeforeAll
    static void createTopics() {
        KAFKA.createTopics(1, "text-in", "predictions", "text-dlq");
    }

    @Test
    void aWrongPasswordIsRefusedBeforeTheJobIsSubmitted(@InjectMiniCluster MiniCluster cluster) throws Exception {
        String user = newUser("job-with-a-wrong-password");

        String refusal = refusalOfMain(cluster, KAFKA.securedClientProperties(user, "not-" + PASSWORD));

        assertThat(refusal).isEqualTo("Kafka at " + KAFKA.broker().securedBootstrapServers() + " refused user '" + user
                + "' (SASL SCRAM-SHA-512): the login failed: Authentication failed during authentication due to "
                + "invalid credentials with SASL mechanism SCRAM-SHA-512");
    }

    @Test
    void anUntrustedCertificateIsRefusedBeforeTheJobIsSubmitted(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        String user = newUser("job-trusting-another-certificate");
        Properties properties = KAFKA.securedClientProperties(user, PASSWORD);
        Path otherCertificate = SelfSignedTls.generate(dir.resolve("other-tls")).certificatePem();
        properties.put("ssl.truststore.location", otherCertificate.toString());

        String refusal = refusalOfMain(cluster, properties);

        assertThat(refusal).isEqualTo("Kafka at " + KAFKA.broker().securedBootstrapServers() + " refused user '"
                + user + "' (SASL SCRAM-SHA-512): the TLS handshake failed, the broker's certificate is not trusted by "
                + otherCertificate + " (PKIX path validation failed: java.security.cert.CertPathValidatorException: "
                + "signature check failed)");
    }

    @ParameterizedTest
    @EnumSource(JobAcls.class)
    void eachMissingAclIsRefusedBeforeTheJobIsSubmitted(JobAcls missing, @InjectMiniCluster MiniCluster cluster)
            throws Exception {
        String user = userWithAllBut(missing);

        String refusal = refusalOfMain(cluster, KAFKA.securedClientProperties(user, PASSWORD));

        String refused = switch (missing) {
            case READ_INPUT -> "READ on topic 'text-in'";
            case READ_GROUP -> "READ on consumer group '" + GROUP + "'";
            case WRITE_PREDICTIONS -> "WRITE on topic 'predictions'";
            case WRITE_DEAD_LETTERS -> "WRITE on topic 'text-dlq'";
            case WRITE_TRANSACTIONS -> "WRITE on transactional ids '" + GROUP + "-predictions*'";
        };
        assertThat(refusal).startsWith("Kafka at " + KAFKA.broker().securedBootstrapServers() + " refused user '"
                + user + "' (SASL SCRAM-SHA-512): " + refused + " is not allowed by any ACL");
    }

    @Test
    void aPasswordVariableSetNowhereFailsTheSubmittedJobOnceNamingTheVariable(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        // main cannot resolve the variable, so it leaves the check to the cluster (where it is not set either) and
        // submits; the job runs with Flink's default restart strategy, which alone would restart it forever
        String user = userWithAllBut(null);
        Path file = KafkaBrokerExtension.write(KAFKA.securedClientProperties(user, "${env:" + UNSET_VARIABLE + "}"),
                dir.resolve("unset-variable.properties"));
        String[] args = {"--bootstrap-servers", KAFKA.broker().securedBootstrapServers(), "--group-id", GROUP,
            "--store", dir.resolve("store").toUri().toString(), "--kafka-properties-file", file.toString()};

        Throwable thrown = catchThrowable(() -> StreamingLstmJob.main(args));

        assertThat(ExceptionUtils.findThrowable(thrown, KafkaRefusal.class)).as("main's failure: %s", thrown)
                .get().extracting(Throwable::getMessage).asString()
                .isEqualTo("Kafka at " + KAFKA.broker().securedBootstrapServers() + " refused user '" + user
                        + "' (SASL SCRAM-SHA-512): the login failed: Authentication failed during authentication due to"
                        + " invalid credentials with SASL mechanism SCRAM-SHA-512 (${env:" + UNSET_VARIABLE
                        + "} could not be resolved where this ran)");
        assertThat(attemptNumbers(cluster, lastJob(cluster))).as("attempts of the job's subtasks: no restart")
                .containsOnly(0);
    }

    @Test
    void aRefusalOnTheClusterFailsTheJobAtOnceInsteadOfRestarting(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        String user = userWithAllBut(JobAcls.WRITE_PREDICTIONS);
        JobConfig config = config(KAFKA.securedClientProperties(user, PASSWORD));

        JobClient job = startWithManyRestarts(config, "refused on the cluster");

        Throwable failure = catchFailure(job);
        assertThat(ExceptionUtils.findThrowable(failure, KafkaRefusal.class)).as("the job's failure: %s", failure)
                .get().extracting(Throwable::getMessage).asString()
                .startsWith("Kafka at " + KAFKA.broker().securedBootstrapServers() + " refused user '" + user
                        + "' (SASL SCRAM-SHA-512): WRITE on topic 'predictions' is not allowed by any ACL");
        assertThat(attemptNumbers(cluster, job.getJobID())).as("attempts of the job's subtasks: no restart")
                .containsOnly(0);
    }

    @Test
    void anAclRevokedWhileTheJobRunsFailsItAtItsFirstRestart(@InjectMiniCluster MiniCluster cluster) throws Exception {
        String user = newUser("job-whose-acl-is-revoked");
        JobConfig config = config(KAFKA.securedClientProperties(user, PASSWORD), "--prediction-guarantee",
                "AT_LEAST_ONCE", "--checkpoint-interval-ms", "1000");
        KAFKA.broker().allow(JobAcls.all(user, config.kafka()));
        JobClient job = startWithManyRestarts(config, "its ACL is revoked while it runs");
        long predictionsBefore = predictionsWritten();

        try (Producer<byte[], byte[]> producer = KAFKA.newProducer()) {
            long sequence = 0;
            while (predictionsWritten() == predictionsBefore) { // the job writes predictions: it may
                assertThat(job.getJobStatus().get().isGloballyTerminalState()).as("the job ended early").isFalse();
                producer.send(chunk("revoked", ++sequence));
                Thread.sleep(100);
            }
            KAFKA.broker().revoke(JobAcls.of(JobAcls.WRITE_PREDICTIONS, user, config.kafka()));
            while (!job.getJobStatus().get().isGloballyTerminalState()) { // the job tries to write more: refused
                producer.send(chunk("revoked", ++sequence));
                Thread.sleep(100);
            }
        }

        Throwable failure = catchFailure(job);
        assertThat(ExceptionUtils.findThrowable(failure, KafkaRefusal.class)).as("the job's failure: %s", failure)
                .get().extracting(Throwable::getMessage).asString()
                .isEqualTo("Kafka at " + KAFKA.broker().securedBootstrapServers() + " refused user '" + user
                        + "' (SASL SCRAM-SHA-512): WRITE on topic 'predictions' is not allowed by any ACL");
        assertThat(attemptNumbers(cluster, job.getJobID())).as("attempts of the job's subtasks: the restart after "
                + "the sink's failure, and no other").containsOnly(1);
    }

    private static long predictionsWritten() {
        return KAFKA.endOffsets("predictions").values().stream().mapToLong(Long::longValue).sum();
    }

    private static ProducerRecord<byte[], byte[]> chunk(String stream, long sequence) {
        TextEvent event = TextEvent.newBuilder().setStreamId(stream).setSequenceNumber(sequence)
                .setText("Access may end at any time. ").setEventTime(Instant.EPOCH).setStartsDocument(sequence == 1)
                .build();
        return new ProducerRecord<>("text-in", WireFormat.key(stream), WireFormat.value(event));
    }

    /** The job, as main builds it but without main's check, on a restart strategy that allows 1000 restarts. */
    private static JobClient startWithManyRestarts(JobConfig config, String name) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(manyRestarts());
        env.setParallelism(1);
        StreamingLstmJob.configure(env, config);
        StreamingLstmJob.buildOnKafka(env, config);
        return env.executeAsync(name);
    }

    private static Configuration manyRestarts() {
        Configuration restarts = new Configuration();
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 1000);
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(100));
        return restarts;
    }

    private static List<Integer> attemptNumbers(MiniCluster cluster, JobID job) throws Exception {
        List<Integer> attempts = new ArrayList<>();
        for (AccessExecutionVertex vertex : cluster.getExecutionGraph(job).get().getAllExecutionVertices()) {
            attempts.add(vertex.getCurrentExecutionAttempt().getAttemptNumber());
        }
        assertThat(attempts).as("subtasks of job %s", job).isNotEmpty();
        return attempts;
    }

    private static JobID lastJob(MiniCluster cluster) throws Exception {
        return cluster.listJobs().get().stream().max(Comparator.comparingLong(JobStatusMessage::getStartTime))
                .orElseThrow().getJobId();
    }

    /** Runs main with these Kafka properties; returns the one line of its refusal, after checking no job started. */
    private static String refusalOfMain(MiniCluster cluster, Properties kafkaProperties) throws Exception {
        int jobsBefore = cluster.listJobs().get().size();
        Path file = KafkaBrokerExtension.write(kafkaProperties, dir.resolve("kafka-" + System.nanoTime() + ".properties"));
        String[] args = {"--bootstrap-servers", KAFKA.broker().securedBootstrapServers(), "--group-id", GROUP,
            "--store", dir.resolve("store").toUri().toString(), "--kafka-properties-file", file.toString(),
            "--prediction-guarantee", "EXACTLY_ONCE"};

        Throwable thrown = catchThrowable(() -> StreamingLstmJob.main(args));

        assertThat(thrown).isInstanceOf(KafkaRefusal.class);
        assertThat(cluster.listJobs().get()).as("jobs after main").hasSize(jobsBefore);
        assertThat(thrown.getMessage()).as("one line").doesNotContain("\n");
        return thrown.getMessage();
    }

    /** The job's configuration with these Kafka properties, EXACTLY_ONCE unless {@code more} flags say otherwise. */
    private static JobConfig config(Properties kafkaProperties, String... more) {
        Path file = KafkaBrokerExtension.write(kafkaProperties, dir.resolve("kafka-" + System.nanoTime() + ".properties"));
        List<String> flags = new ArrayList<>(List.of("--bootstrap-servers", KAFKA.broker().securedBootstrapServers(),
                "--group-id", GROUP, "--store", dir.resolve("store-" + System.nanoTime()).toUri().toString(),
                "--kafka-properties-file", file.toString()));
        flags.addAll(List.of(more));
        if (!flags.contains("--prediction-guarantee")) {
            flags.addAll(List.of("--prediction-guarantee", "EXACTLY_ONCE"));
        }
        return JobConfig.parse(flags.toArray(String[]::new));
    }

    /** A new user with the password {@value #PASSWORD}, and no ACL. */
    private static String newUser(String user) {
        KAFKA.broker().createScramUser(user, PASSWORD);
        return user;
    }

    /** A new user with the password {@value #PASSWORD} and every ACL of the job but {@code missing} (if any). */
    private static String userWithAllBut(JobAcls missing) {
        String user = newUser(missing == null ? "job-with-every-acl"
                : "job-without-" + missing.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        KafkaSettings kafka = config(KAFKA.securedClientProperties(user, PASSWORD)).kafka();
        KAFKA.broker().allow(JobAcls.allBut(missing, user, kafka));
        return user;
    }

    private static Throwable catchFailure(JobClient job) throws Exception {
        try {
            job.getJobExecutionResult().get(1, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("the job ended without a failure");
    }
}
