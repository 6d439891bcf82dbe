package org.apache.flink.metrics.prometheus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Properties;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * Flink's Prometheus reporter on one address: {@code metrics.reporter.<name>.host} and {@code .port} (0: a free
 * port). Flink's own {@link PrometheusReporter} listens on every interface (it binds {@code new
 * InetSocketAddress(port)}) and has no host setting; the sandbox listens on the loopback interface by default. The
 * metrics are Flink's reporter's own ({@link AbstractPrometheusReporter}: the same names, labels and types); this
 * class lives in its package only to serve that reporter's registry, which is package-private.
 */
public final class BoundPrometheusReporterFactory implements MetricReporterFactory {

    /** The address to listen on. */
    public static final String HOST = "host";
    /** The port to listen on. */
    public static final String PORT = "port";

    @Override
    public MetricReporter createMetricReporter(Properties properties) {
        String host = properties.getProperty(HOST, "127.0.0.1");
        int port = Integer.parseInt(properties.getProperty(PORT, "9249"));
        return new BoundPrometheusReporter(new InetSocketAddress(host, port));
    }

    /** The reporter, serving {@code /metrics} on its address until closed. */
    static final class BoundPrometheusReporter extends AbstractPrometheusReporter {
        private final io.prometheus.client.exporter.HTTPServer server;

        BoundPrometheusReporter(InetSocketAddress address) {
            try {
                server = new io.prometheus.client.exporter.HTTPServer(address, registry, true);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot serve Prometheus metrics on " + address, e);
            }
            log.info("Serving Prometheus metrics on {}", address);
        }

        @Override
        public void close() {
            server.stop();
            super.close();
        }
    }
}
