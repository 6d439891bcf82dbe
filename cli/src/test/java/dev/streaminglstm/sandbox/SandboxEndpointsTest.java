package dev.streaminglstm.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class SandboxEndpointsTest {

    @RepeatedTest(20)
    void freePortsAreDistinctAndBelowTheRangeOfOutgoingConnectionsLocalPorts() throws Exception {
        SandboxEndpoints claimed = SandboxEndpoints.freePorts().claim();

        List<Integer> ports = List.of(claimed.kafkaPort(), claimed.webPort(), claimed.metricsPort());
        assertThat(ports).doesNotHaveDuplicates()
                .allSatisfy(port -> assertThat(port).isBetween(SandboxEndpoints.FREE_PORTS_FROM,
                        SandboxEndpoints.FREE_PORTS_TO));
        for (int port : ports) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            }
        }
    }

    @Test
    void aTakenPortIsNamedByItsFlag() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SandboxEndpoints endpoints = new SandboxEndpoints(InetAddress.getLoopbackAddress(), 0,
                    taken.getLocalPort(), 0);

            assertThatThrownBy(endpoints::claim).isInstanceOf(SandboxException.class)
                    .hasMessageContaining("--web-port: 127.0.0.1:" + taken.getLocalPort() + " is taken");
        }
    }
}
