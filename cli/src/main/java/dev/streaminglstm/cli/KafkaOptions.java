package dev.streaminglstm.cli;

import dev.streaminglstm.job.config.ConfigException;
import dev.streaminglstm.job.config.JobConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
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
     * Checks, within the timeout, that the brokers answer and that every topic exists.
     *
     * @throws IllegalStateException naming the brokers and what is wrong
     */
    void requireTopics(Properties clientProperties, String... topics) {
        Properties adminProperties = new Properties();
        adminProperties.putAll(clientProperties);
        adminProperties.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "streaming-lstm-cli");
        Admin admin = create(adminProperties);
        try {
            admin.describeTopics(List.of(topics), new DescribeTopicsOptions().timeoutMs(timeoutMs))
                    .allTopicNames()
                    .get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw failure(e.getCause(), topics);
        } catch (java.util.concurrent.TimeoutException e) {
            throw unreachable();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Kafka at " + bootstrapServers, e);
        } finally {
            admin.close(Duration.ZERO); // nothing to wait for: the answer is in, or will not come
        }
    }

    private Admin create(Properties adminProperties) {
        try {
            return Admin.create(adminProperties);
        } catch (KafkaException e) {
            throw new IllegalStateException("cannot connect to Kafka at " + bootstrapServers + ": " + rootMessage(e), e);
        }
    }

    private IllegalStateException failure(Throwable cause, String... topics) {
        if (cause instanceof TimeoutException) {
            return unreachable();
        }
        if (cause instanceof UnknownTopicOrPartitionException) {
            return new IllegalStateException("Kafka at " + bootstrapServers + " has no topic "
                    + (topics.length == 1 ? "'" + topics[0] + "'" : "among " + String.join(", ", topics))
                    + "; create it first", cause);
        }
        return new IllegalStateException("Kafka at " + bootstrapServers + ": " + rootMessage(cause), cause);
    }

    private IllegalStateException unreachable() {
        return new IllegalStateException("cannot reach Kafka at " + bootstrapServers + " within " + timeoutMs
                + " ms (is it running? check --bootstrap-servers and the security properties)");
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
