package dev.streaminglstm.job.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.core.kernel.Kernel;
import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.optim.OptimizerKind;
import dev.streaminglstm.job.config.KafkaSettings.PredictionGuarantee;
import dev.streaminglstm.job.config.StateSettings.StateBackend;
import dev.streaminglstm.schema.wire.ValueFormat;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class JobConfigTest {

    private static final List<String> REQUIRED = List.of("--bootstrap-servers", "broker:9092", "--store", "file:///tmp/s");

    private static String[] withRequired(String... more) {
        List<String> args = new ArrayList<>(REQUIRED);
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    static Stream<Arguments> badFlags() {
        return Stream.of(
                Arguments.of(withRequired("--foo", "1"), "--foo: unknown flag"),
                Arguments.of(withRequired("--foo=1"), "--foo: unknown flag"),
                Arguments.of(withRequired("extra"), "'extra': unexpected argument; every setting is a --flag"),
                Arguments.of(new String[] {"--window", "8"}, "--bootstrap-servers, --store: required flags are missing"),
                Arguments.of(new String[] {"--bootstrap-servers", "b:1"}, "--store: required flag is missing"),
                Arguments.of(withRequired("--window"), "--window: needs a value"),
                Arguments.of(withRequired("--window", "1", "--window", "2"), "--window: given more than once"),
                Arguments.of(withRequired("--window", "abc"), "--window: 'abc' is not a whole number"),
                Arguments.of(withRequired("--flush-on-checkpoint", "maybe"),
                        "--flush-on-checkpoint: 'maybe' is not a boolean"),
                Arguments.of(withRequired("--window", "0"), "--window: must be between 1 and 4096, was 0"),
                Arguments.of(withRequired("--window=4097"), "--window: must be between 1 and 4096, was 4097"),
                Arguments.of(withRequired("--window", "99999999999"), "--window: 99999999999 is out of range"),
                Arguments.of(withRequired("--conditioning-size", "-1"),
                        "--conditioning-size: must be between 0 and 65536, was -1"),
                Arguments.of(withRequired("--top-k", "259"), "--top-k: must be between 1 and 258, was 259"),
                Arguments.of(withRequired("--seed", "1.5"), "--seed: '1.5' is not a whole number"),
                Arguments.of(withRequired("--learning-rate", "fast"), "--learning-rate: 'fast' is not a number"),
                Arguments.of(withRequired("--learning-rate", "0"),
                        "--learning-rate: must be above 0 and at most 10.0, was 0.0"),
                Arguments.of(withRequired("--clip-norm", "NaN"), "--clip-norm: must be above 0 and at most 1000000.0, was NaN"),
                Arguments.of(withRequired("--cell", "GRU"), "--cell: 'GRU' is not one of RNN, LSTM"),
                Arguments.of(withRequired("--kernel", "gpu"), "--kernel: 'gpu' is not one of REFERENCE, FAST"),
                Arguments.of(withRequired("--cell", "RNN"),
                        "--kernel: FAST does not run --cell RNN (give --kernel REFERENCE)"),
                Arguments.of(withRequired("--optimizer", "adamw"), "--optimizer: 'adamw' is not one of SGD, ADAGRAD, ADAM"),
                Arguments.of(withRequired("--prediction-guarantee", "NONE"),
                        "--prediction-guarantee: 'NONE' is not one of AT_LEAST_ONCE, EXACTLY_ONCE"),
                Arguments.of(withRequired("--stream-idle-timeout", "5x"),
                        "--stream-idle-timeout: '5x' is not a duration such as 500ms, 30s, 10min, 2h or 1d"),
                Arguments.of(withRequired("--stream-idle-timeout", "500ms"),
                        "--stream-idle-timeout: must be between 1s and 365d, was 500ms"),
                Arguments.of(withRequired("--input-topic", "a b"),
                        "--input-topic: 'a b' is not a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -)"),
                Arguments.of(withRequired("--dead-letter-topic", "text-in"),
                        "--dead-letter-topic: must differ from --input-topic, both are 'text-in'"),
                Arguments.of(withRequired("--bootstrap-servers", " "), "--bootstrap-servers: given more than once"),
                Arguments.of(new String[] {"--bootstrap-servers", " ", "--store", "s"},
                        "--bootstrap-servers: must not be blank"),
                Arguments.of(withRequired("--kafka-property", "acks"), "--kafka-property: 'acks' is not KEY=VALUE"),
                Arguments.of(withRequired("--kafka-property", "transaction.timeout.ms=soon"),
                        "--kafka-property: transaction.timeout.ms='soon' is not a whole number of ms"),
                Arguments.of(withRequired("--prediction-guarantee", "EXACTLY_ONCE", "--checkpoint-interval-ms", "60000"),
                        "--checkpoint-interval-ms: must be below the Kafka transaction timeout of 60000 ms with "
                                + "--prediction-guarantee EXACTLY_ONCE, was 60000 (raise it with --kafka-property "
                                + "transaction.timeout.ms=MS)"),
                Arguments.of(withRequired("--max-parallelism", "0"), "--max-parallelism: must be between 1 and 32768, was 0"),
                Arguments.of(withRequired("--max-parallelism", "32769"),
                        "--max-parallelism: must be between 1 and 32768, was 32769"),
                Arguments.of(withRequired("--parallelism", "4", "--max-parallelism", "2"),
                        "--max-parallelism: must be at least --parallelism and --inference-parallelism (4), was 2"),
                Arguments.of(withRequired("--inference-parallelism", "8", "--max-parallelism", "4"),
                        "--max-parallelism: must be at least --parallelism and --inference-parallelism (8), was 4"),
                Arguments.of(withRequired("--wire-format", "protobuf"),
                        "--wire-format: 'protobuf' is not one of SINGLE_OBJECT, CONFLUENT"),
                Arguments.of(withRequired("--wire-format", "CONFLUENT"),
                        "--schema-registry-url: required with --wire-format CONFLUENT"),
                Arguments.of(withRequired("--schema-registry-url", "http://registry:8081"),
                        "--schema-registry-url: used with --wire-format CONFLUENT only, not SINGLE_OBJECT"),
                Arguments.of(withRequired("--wire-format", "confluent", "--schema-registry-url", "registry:8081"),
                        "--schema-registry-url: schema registry URL 'registry:8081' must be an absolute http or https "
                                + "URL, such as http://localhost:8081"),
                Arguments.of(withRequired("--state-backend", "memory"),
                        "--state-backend: 'memory' is not one of HASHMAP, ROCKSDB"),
                Arguments.of(withRequired("--inference-state-precision", "float64"),
                        "--inference-state-precision: 'float64' is not one of FLOAT16, FLOAT32"),
                Arguments.of(withRequired("--draft-interval-ms", "10"),
                        "--draft-interval-ms: must be 0 (no drafts) or at least 50, was 10"),
                Arguments.of(withRequired("--draft-interval-ms", "-1"),
                        "--draft-interval-ms: must be between 0 and 60000, was -1"),
                Arguments.of(withRequired("--adapt-head-rate", "-0.01"),
                        "--adapt-head-rate: must be 0 (off) or above 0 up to 1, was -0.01"),
                Arguments.of(withRequired("--adapt-head-rate", "NaN"),
                        "--adapt-head-rate: must be 0 (off) or above 0 up to 1, was NaN"),
                Arguments.of(withRequired("--adam-beta2", "1"),
                        "--adam-beta2: must be 0 or above and below 1, was 1.0"),
                Arguments.of(withRequired("--adam-beta1", "-0.1"),
                        "--adam-beta1: must be 0 or above and below 1, was -0.1"),
                Arguments.of(withRequired("--adapt-head-units", "0"),
                        "--adapt-head-units: must be between 1 and 4096, was 0"),
                Arguments.of(withRequired("--kafka-properties-file", "/no/such/file.properties"),
                        "--kafka-properties-file: cannot read /no/such/file.properties "
                                + "(NoSuchFileException: /no/such/file.properties)"));
    }

    @ParameterizedTest
    @MethodSource("badFlags")
    void badFlagsAreNamedInOneLine(String[] args, String message) {
        assertThatThrownBy(() -> JobConfig.parse(args))
                .isInstanceOf(ConfigException.class)
                .hasMessage(message);
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        JobConfig config = JobConfig.parse(withRequired());

        KafkaSettings kafka = config.kafka();
        assertThat(kafka.bootstrapServers()).isEqualTo("broker:9092");
        assertThat(kafka.inputTopic()).isEqualTo("text-in");
        assertThat(kafka.predictionTopic()).isEqualTo("predictions");
        assertThat(kafka.deadLetterTopic()).isEqualTo("text-dlq");
        assertThat(kafka.groupId()).isEqualTo("streaming-lstm");
        assertThat(kafka.maxRecordBytes()).isEqualTo(65_536);
        assertThat(kafka.predictionGuarantee()).isEqualTo(PredictionGuarantee.AT_LEAST_ONCE);
        assertThat(kafka.clientProperties()).isEmpty();
        assertThat(kafka.valueFormat()).isEqualTo(ValueFormat.singleObject());
        assertThat(kafka.transactionTimeoutMs()).isEqualTo(60_000);
        assertThat(kafka.clientConfig()).containsExactly(Map.entry("bootstrap.servers", "broker:9092"));
        assertThat(config.store().uri()).isEqualTo("file:///tmp/s");
        assertThat(config.store().keepVersions()).isEqualTo(20);
        assertThat(config.model().config()).isEqualTo(new ModelConfig(258, 32, 128, 1, CellType.LSTM, 0));
        assertThat(config.model().kernel()).isEqualTo(Kernel.FAST);
        assertThat(config.optimizer().config().kind()).isEqualTo(OptimizerKind.ADAM);
        assertThat(config.optimizer().config().learningRate()).isEqualTo(2e-3);
        assertThat(config.optimizer().config().clipNorm()).isEqualTo(5.0);
        assertThat(config.optimizer().config().beta1()).isZero();
        assertThat(config.optimizer().config().beta2()).isEqualTo(0.9);
        assertThat(config.training().window()).isEqualTo(64);
        assertThat(config.training().batch()).isEqualTo(32);
        assertThat(config.training().flushMs()).isEqualTo(200);
        assertThat(config.training().flushOnCheckpoint()).isTrue();
        assertThat(config.training().parallelism()).isEqualTo(1);
        assertThat(config.training().publishEveryWindows()).as("a delta before each barrier").isZero();
        assertThat(config.inference().parallelism()).isEqualTo(1);
        assertThat(config.inference().topK()).isEqualTo(5);
        assertThat(config.inference().continuationLength()).isEqualTo(16);
        assertThat(config.inference().bundle()).isEqualTo(256);
        assertThat(config.inference().contextBytes()).isEqualTo(256);
        assertThat(config.inference().statePrecision()).isEqualTo(InferenceSettings.StatePrecision.FLOAT16);
        assertThat(config.state().checkpointIntervalMs()).isEqualTo(10_000);
        assertThat(config.state().maxParallelism()).isEqualTo(128);
        assertThat(config.state().stateBackend()).isEqualTo(StateBackend.HASHMAP);
        assertThat(config.state().streamIdleTimeout()).isEqualTo(Duration.ofMinutes(30));
        assertThat(config.seed()).isEqualTo(42);
    }

    @Test
    void everyFlagIsReadAndRoundTripsThroughToArgsAndJavaSerialization() throws Exception {
        JobConfig config = JobConfig.parse(
                "--bootstrap-servers=a:1,b:2", "--store", "s3://bucket/models", "--input-topic", "in",
                "--prediction-topic", "out", "--dead-letter-topic", "dlq", "--group-id", "g1", "--window", "100",
                "--batch", "8", "--flush-ms", "50", "--flush-on-checkpoint", "false", "--embed", "16", "--hidden", "256",
                "--layers", "3", "--cell", "rnn", "--kernel", "reference",
                "--conditioning-size", "12", "--optimizer", "SGD", "--learning-rate", "0.1",
                "--clip-norm", "1.5", "--adam-beta1", "0.5", "--adam-beta2", "0.99", "--checkpoint-interval-ms", "2500",
                "--parallelism", "4",
                "--inference-parallelism", "2", "--max-parallelism", "512", "--state-backend", "rocksdb",
                "--publish-every-windows", "7", "--keep-versions", "3",
                "--max-record-bytes", "1024", "--stream-idle-timeout", "90s", "--prediction-guarantee",
                "EXACTLY_ONCE", "--top-k", "10", "--continuation-length", "0", "--context-bytes", "64",
                "--seed", "-7", "--kafka-property", "acks=all", "--kafka-property", "linger.ms=5",
                "--wire-format", "confluent", "--schema-registry-url", "http://registry:8081/apis/ccompat/v7/",
                "--inference-state-precision", "float32");

        assertThat(config.model().config()).isEqualTo(new ModelConfig(258, 16, 256, 3, CellType.RNN, 12));
        assertThat(config.model().kernel()).isEqualTo(Kernel.REFERENCE);
        assertThat(config.training().flushOnCheckpoint()).isFalse();
        assertThat(config.optimizer().config().kind()).isEqualTo(OptimizerKind.SGD);
        assertThat(config.optimizer().config().beta1()).isEqualTo(0.5);
        assertThat(config.optimizer().config().beta2()).isEqualTo(0.99);
        assertThat(config.state().streamIdleTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(config.seed()).isEqualTo(-7);
        assertThat(config.inference().statePrecision()).isEqualTo(InferenceSettings.StatePrecision.FLOAT32);
        assertThat(config.state().maxParallelism()).isEqualTo(512);
        assertThat(config.state().stateBackend()).isEqualTo(StateBackend.ROCKSDB);
        assertThat(config.state().stateBackend().flinkName()).isEqualTo("rocksdb");
        assertThat(config.kafka().valueFormat()).isEqualTo(ValueFormat.confluent("http://registry:8081/apis/ccompat/v7"));
        assertThat(config.kafka().clientProperties()).containsExactly(Map.entry("acks", "all"), Map.entry("linger.ms", "5"));

        JobConfig reparsed = JobConfig.parse(config.toArgs().toArray(String[]::new));
        assertThat(reparsed).isEqualTo(config);
        assertThat(reparsed.toArgs()).isEqualTo(config.toArgs());

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(config);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertThat(in.readObject()).isEqualTo(config);
        }
    }

    @Test
    void durationsAreWrittenInTheirLargestExactUnit() {
        for (String spelled : List.of("1500ms", "45s", "10min", "2h", "3d", "90min")) {
            JobConfig config = JobConfig.parse(withRequired("--stream-idle-timeout", spelled));
            List<String> args = config.toArgs();
            assertThat(args.get(args.indexOf("--stream-idle-timeout") + 1)).isEqualTo(spelled);
        }
        assertThat(JobConfig.parse(withRequired("--stream-idle-timeout", "120s")).state().streamIdleTimeout())
                .isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void propertiesFileIsMergedWithFlagsWinningAndBootstrapServersFromItsFlag(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, String.join("\n",
                "security.protocol=SASL_SSL",
                "sasl.mechanism=PLAIN",
                "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required password=\"pw\";",
                "bootstrap.servers=elsewhere:9092"), StandardCharsets.UTF_8);

        JobConfig config = JobConfig.parse(withRequired("--kafka-properties-file", file.toString(),
                "--kafka-property", "sasl.mechanism=SCRAM-SHA-512", "--kafka-property", "client.rack=r1"));

        assertThat(config.kafka().clientProperties())
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("client.rack", "r1")
                .containsKey("sasl.jaas.config")
                .hasSize(5);
        assertThat(config.kafka().clientConfig())
                .containsEntry("bootstrap.servers", "broker:9092")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .hasSize(5);
        assertThat(config.toString()).contains("sasl.jaas.config=****").doesNotContain("pw");
        assertThat(JobConfig.parse(config.toArgs().toArray(String[]::new))).isEqualTo(config);
    }

    @Test
    void eachGroupParsesAndChecksItsOwnFlagsAlone() {
        TrainingSettings training = TrainingSettings.parse("--window", "8", "--batch", "4");
        assertThat(training.window()).isEqualTo(8);
        assertThat(training.batch()).isEqualTo(4);
        assertThat(training.flushMs()).as("a default").isEqualTo(200);
        assertThatThrownBy(() -> TrainingSettings.parse("--window", "0"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("--window: must be between 1 and 4096, was 0");
        assertThatThrownBy(() -> TrainingSettings.parse("--bootstrap-servers", "b:1"))
                .as("a flag of another group").isInstanceOf(ConfigException.class)
                .hasMessage("--bootstrap-servers: unknown flag");
        assertThat(ModelSettings.parse("--hidden", "16").config().hiddenSize()).isEqualTo(16);
        assertThat(InferenceSettings.parse("--top-k", "3").topK()).isEqualTo(3);
        assertThat(StoreSettings.parse("--store", "file:///s").uri()).isEqualTo("file:///s");
    }

    @Test
    void usageListsEveryFlagWithItsDefault() {
        String usage = JobConfig.usage();
        JobConfig config = JobConfig.parse(withRequired());
        config.toArgs().stream().filter(arg -> arg.startsWith("--")).distinct()
                .forEach(flag -> assertThat(usage).contains(flag));
        assertThat(usage).contains("--kafka-properties-file")
                .contains("Default: 64.")
                .contains("Default: 30min.")
                .contains("Default: AT_LEAST_ONCE.");
    }
}
