package dev.streaminglstm.cli;

import dev.streaminglstm.job.access.KafkaAccessCheck;
import dev.streaminglstm.job.config.ConfigException;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.config.KafkaSettings;
import dev.streaminglstm.schema.wire.Encoding;
import dev.streaminglstm.schema.wire.SchemaRegistryException;
import dev.streaminglstm.schema.wire.ValueDecoder;
import dev.streaminglstm.schema.wire.ValueEncoder;
import dev.streaminglstm.schema.wire.ValueFormat;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.acl.AclOperation;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * The options of every command that talks to Kafka: where the brokers are, the client properties for SASL/SSL
 * (read exactly as the job reads them, by {@link JobConfig}), the wire format of the values (checked as the job
 * checks it), and how long to wait for the brokers. Reading the
 * client properties also sets up the command's log ({@link CliLogging}), before any client exists.
 */
public final class KafkaOptions {

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT,...", defaultValue = "localhost:9092",
            description = "Kafka bootstrap servers. Default: ${DEFAULT-VALUE}.")
    String bootstrapServers;

    @Option(names = "--kafka-properties-file", paramLabel = "FILE",
            description = "A Java properties file of Kafka client properties (security.protocol, sasl.*, ssl.*, ...).")
    Path propertiesFile;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "A Kafka client property, e.g. security.protocol=SASL_SSL; repeatable; "
                    + "wins over --kafka-properties-file.")
    List<String> properties = new ArrayList<>();

    @Option(names = "--wire-format", paramLabel = "SINGLE_OBJECT|CONFLUENT", defaultValue = "SINGLE_OBJECT",
            converter = EncodingConverter.class,
            description = "Framing of the values, as the job's --wire-format. Default: ${DEFAULT-VALUE}.")
    Encoding wireFormat;

    @Option(names = "--schema-registry-url", paramLabel = "URL",
            description = "Base URL of the schema registry's Confluent-compatible API; with --wire-format CONFLUENT.")
    String schemaRegistryUrl;

    @Option(names = "--kafka-timeout-ms", paramLabel = "MS", defaultValue = "30000",
            description = "How long to wait for the brokers to answer before giving up. Default: ${DEFAULT-VALUE}.")
    int timeoutMs;

    /**
     * The client properties: the file's, then the {@code --kafka-property} flags, then {@code bootstrap.servers}.
     * Checks the wire format flags too, before any client exists.
     *
     * @throws ParameterException if the file cannot be read, a property is not KEY=VALUE or the wire format flags
     *                            do not go together
     */
    Properties clientProperties() {
        CliLogging.configure();
        if (timeoutMs < 1) {
            throw new ParameterException(command.commandLine(), "--kafka-timeout-ms: must be at least 1, was "
                    + timeoutMs);
        }
        valueFormat();
        // The job's own flags read the same three settings; a placeholder --store satisfies its required flag.
        List<String> jobFlags = new ArrayList<>(List.of("--bootstrap-servers", bootstrapServers, "--store", "unused"));
        if (propertiesFile != null) {
            jobFlags.addAll(List.of("--kafka-properties-file", propertiesFile.toString()));
        }
        properties.forEach(property -> jobFlags.addAll(List.of("--kafka-property", property)));
        try {
            return JobConfig.parse(jobFlags.toArray(String[]::new)).kafka().clientConfig();
        } catch (ConfigException e) {
            throw new ParameterException(command.commandLine(), e.getMessage());
        }
    }

    /**
     * The values' wire format.
     *
     * @throws ParameterException naming {@code --schema-registry-url} when it does not go with {@code --wire-format}
     */
    ValueFormat valueFormat() {
        try {
            return KafkaSettings.valueFormat(wireFormat, schemaRegistryUrl);
        } catch (ConfigException e) {
            throw new ParameterException(command.commandLine(), e.getMessage());
        }
    }

    /**
     * An encoder of {@code type} into {@code topic}, its schema registered with CONFLUENT.
     *
     * @throws IllegalStateException naming the registry, when it cannot register the schema
     */
    <T extends SpecificRecordBase> ValueEncoder<T> encoder(Class<T> type, String topic) {
        try {
            return valueFormat().encoder(type, topic);
        } catch (SchemaRegistryException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** A decoder of {@code type} in the values' wire format. */
    <T extends SpecificRecordBase> ValueDecoder<T> decoder(Class<T> type) {
        return valueFormat().decoder(type);
    }

    /** How long to wait for the brokers, in milliseconds. */
    int timeoutMs() {
        return timeoutMs;
    }

    /**
     * Checks, within the timeout, that the brokers answer, let these client properties log in, and allow
     * {@code operation} (READ, WRITE) on {@code topic}, which must exist.
     *
     * @throws dev.streaminglstm.job.access.KafkaRefusal naming the brokers, the principal and what they refused
     * @throws IllegalStateException naming the brokers and what else is wrong
     */
    void requireAccess(Properties clientProperties, AclOperation operation, String topic) {
        try (KafkaAccessCheck check = KafkaAccessCheck.login(clientProperties, timeoutMs)) {
            check.requireTopic(topic, operation);
        }
    }

    /** Reads a wire format in any case; the error names the choices. */
    static final class EncodingConverter implements ITypeConverter<Encoding> {
        @Override
        public Encoding convert(String text) {
            try {
                return Encoding.parse(text);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
