package dev.streaminglstm.sandbox;

import java.nio.file.Path;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;

/**
 * Sends the log of everything in the sandbox's JVM (broker, Flink, job) to a file, so the terminal holds only the
 * live view: INFO and up, Kafka's own chatter from WARN. With {@link #beforeLog4jStarts} called first, Log4j's
 * shutdown hook is off, so that the messages of a Ctrl-C shutdown still reach the file, and all class loaders share
 * the one configuration.
 */
public final class SandboxLogging {

    private SandboxLogging() {}

    /**
     * Sets what Log4j reads once, when it starts: one logging context for all class loaders (Flink loads its RPC
     * system in a class loader of its own, which would otherwise get its own context, configured by the log4j2.yaml
     * in Kafka's test kit: INFO to the console), and no shutdown hook. Call it before anything logs; the command
     * line does, before it builds its commands (Avro's classes, for one, log when they load).
     */
    public static void beforeLog4jStarts() {
        System.setProperty("log4j2.shutdownHookEnabled", "false");
        System.setProperty("log4j2.contextSelector", "org.apache.logging.log4j.core.selector.BasicContextSelector");
    }

    /** From now on, logs go to {@code file} (appended) and nowhere else. */
    public static void toFile(Path file) {
        beforeLog4jStarts();
        ConfigurationBuilder<BuiltConfiguration> builder = ConfigurationBuilderFactory.newConfigurationBuilder();
        builder.setConfigurationName("streaming-lstm sandbox");
        builder.setShutdownHook("disable");
        builder.setStatusLevel(Level.ERROR);
        builder.add(builder.newAppender("file", "File")
                .addAttribute("fileName", file.toAbsolutePath().toString())
                .addAttribute("append", true)
                .add(builder.newLayout("PatternLayout")
                        .addAttribute("pattern", "%d{HH:mm:ss.SSS} %-5level [%t] %c{1.}: %msg%n%throwable")));
        for (String quiet : new String[] {"org.apache.kafka", "kafka", "org.apache.flink.shaded"}) {
            builder.add(builder.newLogger(quiet, Level.WARN).add(builder.newAppenderRef("file"))
                    .addAttribute("additivity", false));
        }
        builder.add(builder.newRootLogger(Level.INFO).add(builder.newAppenderRef("file")));
        Configurator.reconfigure(builder.build());
    }
}
