package dev.streaminglstm.cli;

import dev.streaminglstm.job.access.KafkaAccessCheck;
import dev.streaminglstm.job.config.ConfigException;
import dev.streaminglstm.job.config.JobConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.acl.AclOperation;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The options of every command that talks to Kafka: where the brokers are, the client properties for SASL/SSL
 * (read exactly as the job reads them, by {@link JobConfig}), and how long to wait for the brokers. Reading the
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

    @Option(names = "--kafka-timeout-ms", paramLabel = "MS", defaultValue = "30000",
            description = "How long to wait for the brokers to answer before giving up. Default: ${DEFAULT-VALUE}.")
    int timeoutMs;

    /**
     * The client properties: the file's, then the {@code --kafka-property} flags, then {@code bootstrap.servers}.
     *
     * @throws ParameterException if the file cannot be read or a property is not KEY=VALUE
     */
    Properties clientProperties() {
        CliLogging.configure();
        if (timeoutMs < 1) {
            throw new ParameterException(command.commandLine(), "--kafka-timeout-ms: must be at least 1, was "
                    + timeoutMs);
        }
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
}
