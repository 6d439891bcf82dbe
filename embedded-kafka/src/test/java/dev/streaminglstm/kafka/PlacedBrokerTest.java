package dev.streaminglstm.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link EmbeddedKafkaBroker#startOn}: one address, one port, and data that outlives the broker. */
class PlacedBrokerTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @TempDir
    Path dir;

    @Test
    void listensOnTheGivenAddressOnlyAndKeepsItsRecordsForTheNextBrokerOnTheFolder() throws Exception {
        int port;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.startOn(LOOPBACK, 0, dir.resolve("kafka"))) {
            port = Integer.parseInt(broker.bootstrapServers().substring(broker.bootstrapServers().lastIndexOf(':') + 1));
            assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
            assertThat(ListeningSockets.ofThisProcess()).as("what this JVM listens on: the broker and its controller")
                    .hasSize(2)
                    .contains(new InetSocketAddress(LOOPBACK, port))
                    .allSatisfy(address -> assertThat(address.getAddress().isLoopbackAddress()).isTrue());
            broker.createTopics(1, "kept");
            send(broker, "kept", List.of("one", "two", "three"));
        }
        assertThat(ListeningSockets.ofThisProcess()).as("nothing listens after close").isEmpty();

        try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.startOn(LOOPBACK, port, dir.resolve("kafka"))) {
            assertThat(again.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
            again.createTopics(1, "kept"); // exists: left as it is
            assertThat(readAll(again, "kept")).containsExactly("one", "two", "three");
        }
    }

    @Test
    void theAnyAddressListensOnEveryInterfaceAndClientsOfThisMachineUseLocalhost() throws Exception {
        InetAddress any = InetAddress.getByName("0.0.0.0");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.startOn(any, 0, dir.resolve("kafka"))) {
            int port = Integer.parseInt(broker.bootstrapServers().substring(broker.bootstrapServers().indexOf(':') + 1));
            assertThat(broker.bootstrapServers()).isEqualTo("localhost:" + port);
            assertThat(ListeningSockets.ofThisProcess()).as("0.0.0.0 is bound as :: (IPv4 and IPv6) by Java")
                    .anySatisfy(address -> {
                        assertThat(address.getPort()).isEqualTo(port);
                        assertThat(address.getAddress().isAnyLocalAddress()).isTrue();
                    });
            broker.createTopics(1, "t");
            send(broker, "t", List.of("reached"));
            assertThat(readAll(broker, "t")).containsExactly("reached");
        }
    }

    @Test
    void aTakenPortIsRefusedNamingTheAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(LOOPBACK, 0));
            int port = taken.getLocalPort();

            assertThatThrownBy(() -> EmbeddedKafkaBroker.startOn(LOOPBACK, port, dir.resolve("kafka")))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot start a Kafka broker on 127.0.0.1:" + port);
        }
    }

    private static void send(EmbeddedKafkaBroker broker, String topic, List<String> values) throws Exception {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(properties, new StringSerializer(), new StringSerializer())) {
            for (String value : values) {
                producer.send(new ProducerRecord<>(topic, value)).get();
            }
        }
    }

    private static List<String> readAll(EmbeddedKafkaBroker broker, String topic) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(properties, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (consumer.position(partition) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }
}
