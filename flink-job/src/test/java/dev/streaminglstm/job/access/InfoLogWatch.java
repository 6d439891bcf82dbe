package dev.streaminglstm.job.access;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * Everything this JVM logs at INFO and above while it is open (Flink, Kafka's clients and broker, the job), each
 * event with its stack trace, searched for one string. The usual appenders are off meanwhile, so that the INFO flood
 * does not reach the test's output; {@link #close()} puts them and the level back.
 */
final class InfoLogWatch extends AbstractAppender implements AutoCloseable {

    private final String needle;
    private final AtomicLong events = new AtomicLong();
    private final List<String> hits = new ArrayList<>();
    private final Level previousLevel;
    private final Map<String, Appender> previousAppenders;

    private InfoLogWatch(String needle) {
        super("info-log-watch", null, PatternLayout.newBuilder().withPattern("%level %logger: %message%n%throwable")
                .build(), true, Property.EMPTY_ARRAY);
        this.needle = needle;
        LoggerConfig root = root();
        this.previousLevel = root.getLevel();
        this.previousAppenders = Map.copyOf(root.getAppenders());
    }

    /** Starts watching every log event at INFO and above for {@code needle}. */
    static InfoLogWatch lookingFor(String needle) {
        InfoLogWatch watch = new InfoLogWatch(needle);
        watch.start();
        LoggerConfig root = root();
        watch.previousAppenders.keySet().forEach(root::removeAppender);
        root.addAppender(watch, Level.INFO, null);
        root.setLevel(Level.INFO);
        context().updateLoggers();
        return watch;
    }

    @Override
    public void append(LogEvent event) {
        String text = new String(getLayout().toByteArray(event), java.nio.charset.StandardCharsets.UTF_8);
        events.incrementAndGet();
        if (text.contains(needle)) {
            synchronized (hits) {
                hits.add(text);
            }
        }
    }

    /** How many events were logged while watching. */
    long events() {
        return events.get();
    }

    /** The events, as logged, that held the string. */
    List<String> hits() {
        synchronized (hits) {
            return List.copyOf(hits);
        }
    }

    @Override
    public void close() {
        LoggerConfig root = root();
        root.removeAppender(getName());
        previousAppenders.values().forEach(appender -> root.addAppender(appender, null, null));
        root.setLevel(previousLevel);
        context().updateLoggers();
        stop();
    }

    private static LoggerContext context() {
        return (LoggerContext) LogManager.getContext(false);
    }

    private static LoggerConfig root() {
        return context().getConfiguration().getRootLogger();
    }
}
