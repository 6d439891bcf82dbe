package dev.streaminglstm.cli;

import static dev.streaminglstm.kafka.EmbeddedKafkaBroker.acl;
import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.kafka.KafkaBrokerExtension;
import dev.streaminglstm.kafka.SelfSignedTls;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TokenProbability;
import dev.streaminglstm.schema.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command that talks to Kafka ({@code produce}, {@code tail}, {@code tail --dead-letters}) on a broker that
 * demands TLS, a SCRAM-SHA-512 login and ACLs, with {@code --kafka-properties-file} whose password is
 * {@code ${env:STREAMING_LSTM_TEST_KAFKA_PASSWORD}}; and each refusal (wrong password, untrusted certificate, a
 * missing ACL) as one line naming the broker, the user and what was refused, with exit code 1.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SecuredKafkaCommandsITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.secured();

    private static final String PASSWORD_VARIABLE = "STREAMING_LSTM_TEST_KAFKA_PASSWORD";
    /** Feeds the input and follows both outputs. */
    private static final String OPERATOR = "streaming-lstm-operator";
    /** Follows the predictions only. */
    private static final String VIEWER = "prediction-viewer";
    private static final String VIEWER_PASSWORD = "viewer-password";
    private static final Instant TIME = Instant.parse("2025-01-02T03:04:05Z");

    @TempDir
    static Path dir;

    @BeforeAll
    static void createTopicsUsersAndAcls() {
        String secret = System.getenv(PASSWORD_VARIABLE);
        assertThat(secret).as("%s, set by the failsafe configuration of the parent pom", PASSWORD_VARIABLE)
                .isNotBlank();
        KAFKA.createTopics(1, "text-in", "predictions", "text-dlq");
        KAFKA.broker().createScramUser(OPERATOR, secret);
        KAFKA.broker().createScramUser(VIEWER, VIEWER_PASSWORD);
        KAFKA.broker().allow(
                acl(OPERATOR, AclOperation.WRITE, ResourceType.TOPIC, "text-in", PatternType.LITERAL),
                acl(OPERATOR, AclOperation.READ, ResourceType.TOPIC, "predictions", PatternType.LITERAL),
                acl(OPERATOR, AclOperation.READ, ResourceType.TOPIC, "text-dlq", PatternType.LITERAL),
                acl(VIEWER, AclOperation.READ, ResourceType.TOPIC, "predictions", PatternType.LITERAL));
        KAFKA.produce("predictions", WireFormat.key("s1"), WireFormat.value(prediction("s1", 1)));
        KAFKA.produce("predictions", WireFormat.key("s2"), WireFormat.value(prediction("s2", 4)));
        KAFKA.produce("text-dlq", WireFormat.key("s3"), WireFormat.value(deadLetter()));
    }

    @Test
    void produceSendsTextThroughTheSecuredListener() throws IOException {
        Path text = Files.writeString(dir.resolve("text.txt"), "Erste Zeile.\n\nSecond paragraph.\n");

        CliRun run = CliRun.of("produce", text.toString(), "--streams", "1", "--stream-prefix", "secured-",
                "--bootstrap-servers", KAFKA.broker().securedBootstrapServers(),
                "--kafka-properties-file", operatorProperties().toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.lastLine()).startsWith("records=2 ");
        List<String> sent = KAFKA.consume("text-in", 2, Duration.ofSeconds(30)).stream()
                .map(record -> ProduceAndTailITCase.decodeText(record.value())).toList();
        assertThat(sent).containsExactly("Erste Zeile.", "Second paragraph.");
    }

    @Test
    void tailFollowsPredictionsThroughTheSecuredListener() {
        CliRun run = CliRun.of("tail", "--from-beginning", "--max", "2",
                "--bootstrap-servers", KAFKA.broker().securedBootstrapServers(),
                "--kafka-properties-file", operatorProperties().toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.outLines()).extracting(line -> line.substring(0, 5)).containsExactly("s1 #1", "s2 #4");
    }

    @Test
    void tailFollowsDeadLettersThroughTheSecuredListener() {
        CliRun run = CliRun.of("tail", "--dead-letters", "--from-beginning", "--max", "1",
                "--bootstrap-servers", KAFKA.broker().securedBootstrapServers(),
                "--kafka-properties-file", operatorProperties().toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.outLines()).containsExactly(
                "text-in/0@9  BAD_AVRO: not Avro  (key \"s3\", value 3 bytes, rejected 2025-01-02T03:04:05Z)");
    }

    @Test
    void aWrongPasswordIsOneLineAndExitCode1() {
        CliRun run = CliRun.of("produce", "--demo", "--bootstrap-servers", KAFKA.broker().securedBootstrapServers(),
                "--kafka-properties-file", write(KAFKA.securedClientProperties(OPERATOR, "not-the-password")));

        assertRefused(run, "produce", OPERATOR, "the login failed: Authentication failed during authentication due "
                + "to invalid credentials with SASL mechanism SCRAM-SHA-512");
    }

    @Test
    void anUntrustedCertificateIsOneLineAndExitCode1() {
        Properties properties = KAFKA.securedClientProperties(OPERATOR, "${env:" + PASSWORD_VARIABLE + "}");
        Path other = SelfSignedTls.generate(dir.resolve("other-tls")).certificatePem();
        properties.put("ssl.truststore.location", other.toString());

        CliRun run = CliRun.of("tail", "--bootstrap-servers", KAFKA.broker().securedBootstrapServers(),
                "--kafka-properties-file", write(properties));

        assertRefused(run, "tail", OPERATOR, "the TLS handshake failed, the broker's certificate is not trusted by "
                + other + " (PKIX path validation failed: java.security.cert.CertPathValidatorException: signature "
                + "check failed)");
    }

    @Test
    void aMissingAclIsOneLineAndExitCode1() {
        String viewer = write(KAFKA.securedClientProperties(VIEWER, VIEWER_PASSWORD));

        CliRun deadLetters = CliRun.of("tail", "--dead-letters", "--kafka-properties-file", viewer,
                "--bootstrap-servers", KAFKA.broker().securedBootstrapServers());
        CliRun produce = CliRun.of("produce", "--demo", "--topic", "predictions", "--kafka-properties-file", viewer,
                "--bootstrap-servers", KAFKA.broker().securedBootstrapServers());

        assertRefused(deadLetters, "tail", VIEWER, "READ on topic 'text-dlq' is not allowed by any ACL");
        assertRefused(produce, "produce", VIEWER, "WRITE on topic 'predictions' is not allowed by any ACL "
                + "(allowed: DESCRIBE, READ)");
    }

    private static void assertRefused(CliRun run, String command, String user, String refused) {
        assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
        assertThat(run.errLines()).singleElement().asString().isEqualTo("streaming-lstm " + command + ": Kafka at "
                + KAFKA.broker().securedBootstrapServers() + " refused user '" + user + "' (SASL SCRAM-SHA-512): "
                + refused);
        assertThat(run.out()).isEmpty();
    }

    /** The operator's client properties, as docs/security.md shows them: the password comes from the environment. */
    private static Path operatorProperties() {
        return Path.of(write(KAFKA.securedClientProperties(OPERATOR, "${env:" + PASSWORD_VARIABLE + "}")));
    }

    private static String write(Properties properties) {
        return KafkaBrokerExtension.write(properties, dir.resolve("kafka-" + System.nanoTime() + ".properties"))
                .toString();
    }

    private static Prediction prediction(String stream, long sequence) {
        return Prediction.newBuilder()
                .setStreamId(stream).setSequenceNumber(sequence).setBytePosition(sequence * 10)
                .setStatus(PredictionStatus.OK).setModelVersion(3L)
                .setTopK(List.of(new TokenProbability((int) 'e', "e", 0.5f)))
                .setContinuation("en").setSurpriseBits(null).setEventTime(TIME).setEmittedAt(TIME)
                .build();
    }

    private static DeadLetter deadLetter() {
        return DeadLetter.newBuilder()
                .setTopic("text-in").setPartition(0).setOffset(9)
                .setKey(ByteBuffer.wrap(WireFormat.key("s3"))).setValue(ByteBuffer.wrap(new byte[] {1, 2, 3}))
                .setReason("not Avro").setReasonCode("BAD_AVRO").setRejectedAt(TIME)
                .build();
    }
}
