package dev.streaminglstm.cli;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;

/**
 * The log of the operator commands (produce, tail, models, sample, eval, report). Their stdout holds results and
 * their stderr progress and one-line errors, so the libraries' log (Kafka, Flink) is off unless the environment
 * variable {@value #VARIABLE} names a level (WARN, INFO, DEBUG, ...), which sends it to stderr.
 */
final class CliLogging {

    /** The environment variable that turns the log on. */
    static final String VARIABLE = "STREAMING_LSTM_LOG";

    private CliLogging() {}

    /**
     * Applies the setting of {@value #VARIABLE}; call before Kafka clients or file systems are made. One context
     * serves every class loader (Flink plugins): {@link StreamingLstmCli} sets that up before Log4j starts.
     */
    static void configure() {
        Level level = Level.toLevel(System.getenv(VARIABLE), Level.OFF);
        ConfigurationBuilder<BuiltConfiguration> builder = ConfigurationBuilderFactory.newConfigurationBuilder();
        builder.setConfigurationName("streaming-lstm cli");
        builder.setStatusLevel(Level.ERROR);
        builder.add(builder.newAppender("stderr", "Console")
                .addAttribute("target", "SYSTEM_ERR")
                .add(builder.newLayout("PatternLayout")
                        .addAttribute("pattern", "%d{HH:mm:ss.SSS} %-5level %c{1.}: %msg%n%throwable")));
        builder.add(builder.newRootLogger(level).add(builder.newAppenderRef("stderr")));
        Configurator.reconfigure(builder.build());
    }
}
