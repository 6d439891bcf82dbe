package dev.streaminglstm.bench;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * The job's counters, read in this JVM while a MiniCluster runs it: a Flink metric reporter that keeps every counter
 * the operators register, by operator and name, so a benchmark can sample them as often as it likes. Counters of
 * every subtask of an operator are summed; a counter is dropped when its subtask ends.
 */
public final class InJvmMetrics implements MetricReporter {
    private static final String NAME = "bench";
    private static final Map<String, List<Counter>> COUNTERS = new ConcurrentHashMap<>();

    /** The Flink settings that install this reporter in a MiniCluster. */
    public static Configuration reporterSettings() {
        Configuration c = new Configuration();
        c.setString("metrics.reporter." + NAME + ".factory.class", Factory.class.getName());
        return c;
    }

    /** The sum over subtasks of counter {@code name} of operator {@code operator}; 0 while none is registered. */
    public static long counter(String operator, String name) {
        long sum = 0;
        for (Counter c : COUNTERS.getOrDefault(key(operator, name), List.of())) {
            sum += c.getCount();
        }
        return sum;
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        String operator = group.getAllVariables().get("<operator_name>");
        if (metric instanceof Counter c && operator != null) {
            COUNTERS.computeIfAbsent(key(operator, name), k -> new CopyOnWriteArrayList<>()).add(c);
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        String operator = group.getAllVariables().get("<operator_name>");
        List<Counter> counters = operator == null ? null : COUNTERS.get(key(operator, name));
        if (counters != null) {
            counters.remove(metric);
        }
    }

    private static String key(String operator, String name) {
        return operator + "." + name;
    }

    /** Makes the reporter for Flink's {@code metrics.reporter.bench.factory.class}. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new InJvmMetrics();
        }
    }
}
