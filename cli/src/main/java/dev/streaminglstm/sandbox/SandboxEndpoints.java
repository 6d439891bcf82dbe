package dev.streaminglstm.sandbox;

import java.io.IOException;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Where a sandbox listens: its Kafka broker, the Flink web UI (and REST API) and the Prometheus metrics, on one
 * address. Port 0 asks for a free port. By default all three listen on the loopback interface only: the sandbox
 * has no authentication, so a wider address lets anyone who reaches this machine write into it and read it.
 *
 * @param address     the address all three listen on ({@code --bind-address})
 * @param kafkaPort   the broker's port ({@code --kafka-port})
 * @param webPort     the Flink web UI's and REST API's port ({@code --web-port})
 * @param metricsPort the Prometheus endpoint's port ({@code --metrics-port})
 */
public record SandboxEndpoints(InetAddress address, int kafkaPort, int webPort, int metricsPort) {

    public static final String ADDRESS_FLAG = "--bind-address";

    /**
     * Where a free port is looked for when port 0 is given: below the range Linux takes the local ports of outgoing
     * connections from (32768 up), so that no connection of the broker, the job or a client takes it between the
     * claim and the server's own bind (a MiniCluster's REST endpoint once failed to start so in CI).
     */
    static final int FREE_PORTS_FROM = 20_000;
    static final int FREE_PORTS_TO = 32_767;
    private static final int FREE_PORT_TRIES = 200;
    public static final String KAFKA_FLAG = "--kafka-port";
    public static final String WEB_FLAG = "--web-port";
    public static final String METRICS_FLAG = "--metrics-port";

    public static final int DEFAULT_KAFKA_PORT = 9092;
    public static final int DEFAULT_WEB_PORT = 8081;
    public static final int DEFAULT_METRICS_PORT = 9249;

    /** The file of a run folder that holds its addresses, one {@code name=address} a line. */
    public static final String FILE = "endpoints.properties";

    public SandboxEndpoints {
        Objects.requireNonNull(address, "address");
        checkPort(KAFKA_FLAG, kafkaPort);
        checkPort(WEB_FLAG, webPort);
        checkPort(METRICS_FLAG, metricsPort);
    }

    /** Kafka's, Flink's and Prometheus's usual ports on the loopback interface: what a person runs. */
    public static SandboxEndpoints defaults() {
        return new SandboxEndpoints(InetAddress.getLoopbackAddress(), DEFAULT_KAFKA_PORT, DEFAULT_WEB_PORT,
                DEFAULT_METRICS_PORT);
    }

    /** Free ports on the loopback interface: what tests run, beside any sandbox a person runs. */
    public static SandboxEndpoints freePorts() {
        return new SandboxEndpoints(InetAddress.getLoopbackAddress(), 0, 0, 0);
    }

    /**
     * The address of {@code --bind-address}.
     *
     * @throws IllegalArgumentException naming the flag if it is no address of this machine
     */
    public static InetAddress address(String text) {
        try {
            InetAddress address = InetAddress.getByName(text.trim());
            if (!address.isAnyLocalAddress() && NetworkInterface.getByInetAddress(address) == null) {
                throw new IllegalArgumentException(ADDRESS_FLAG + ": " + text + " is no address of this machine");
            }
            return address;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(ADDRESS_FLAG + ": '" + text + "' is not an address");
        } catch (SocketException e) {
            throw new IllegalArgumentException(ADDRESS_FLAG + ": cannot list this machine's addresses: " + e);
        }
    }

    /** True when something other than this machine can reach the endpoints. */
    public boolean exposed() {
        return !address.isLoopbackAddress();
    }

    /** The warning a sandbox prints when {@link #exposed()}. */
    public String exposureWarning() {
        return "warning: " + ADDRESS_FLAG + " " + address.getHostAddress() + ": the broker, the web UI and the metrics "
                + "listen beyond this machine, with no authentication: anyone who can reach it can write into the "
                + "sandbox and read its predictions";
    }

    /**
     * These endpoints with every port 0 replaced by a free port, each port checked to be free now.
     *
     * @throws SandboxException naming the flag of a port that is taken
     */
    public SandboxEndpoints claim() throws SandboxException {
        Set<Integer> chosen = new HashSet<>();
        int kafka = claim(KAFKA_FLAG, kafkaPort, chosen);
        int web = claim(WEB_FLAG, webPort, chosen);
        return new SandboxEndpoints(address, kafka, web, claim(METRICS_FLAG, metricsPort, chosen));
    }

    /** Where a client of this machine reaches the broker: {@code host:port}. */
    public String kafka() {
        return host() + ":" + kafkaPort;
    }

    /** The web UI's address. */
    public String webUi() {
        return "http://" + host() + ":" + webPort + "/";
    }

    /** The Prometheus endpoint's address. */
    public String metrics() {
        return "http://" + host() + ":" + metricsPort + "/metrics";
    }

    /** {@code name=address} lines: what {@link #write} writes and a sandbox prints. */
    public List<String> lines() {
        return List.of("kafka=" + kafka(), "web_ui=" + webUi(), "metrics=" + metrics());
    }

    /** Writes {@link #lines()} to {@value #FILE} in {@code runDir}. */
    public void write(Path runDir) throws IOException {
        Files.write(runDir.resolve(FILE), lines(), StandardCharsets.UTF_8);
    }

    /**
     * The host a client names: {@code localhost} for the loopback interface and for every interface (a client on
     * this machine reaches both there), else the address.
     */
    private String host() {
        if (address.isLoopbackAddress() || address.isAnyLocalAddress()) {
            return "localhost";
        }
        return address instanceof Inet6Address ? "[" + address.getHostAddress() + "]" : address.getHostAddress();
    }

    /** {@code port}, checked to be free now, or for 0 a free one outside {@code chosen}; adds it to {@code chosen}. */
    private int claim(String flag, int port, Set<Integer> chosen) throws SandboxException {
        if (port == 0) {
            for (int i = 0; i < FREE_PORT_TRIES; i++) {
                int candidate = ThreadLocalRandom.current().nextInt(FREE_PORTS_FROM, FREE_PORTS_TO + 1);
                if (!chosen.contains(candidate) && free(candidate)) {
                    chosen.add(candidate);
                    return candidate;
                }
            }
        }
        int claimed = bind(flag, port);
        chosen.add(claimed);
        return claimed;
    }

    private boolean free(int port) {
        try {
            bind("", port);
            return true;
        } catch (SandboxException e) {
            return false;
        }
    }

    private int bind(String flag, int port) throws SandboxException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(address, port));
            return socket.getLocalPort();
        } catch (BindException e) {
            throw new SandboxException(flag + ": " + address.getHostAddress() + ":" + port + " is taken (another "
                    + "sandbox? another server?); give a free port, or 0 for any free port");
        } catch (IOException e) {
            throw new SandboxException(flag + ": cannot listen on " + address.getHostAddress() + ":" + port + " ("
                    + e.getMessage() + ")");
        }
    }

    private static void checkPort(String flag, int port) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException(flag + ": must be between 0 and 65535, was " + port);
        }
    }
}
