package dev.streaminglstm.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class InFlightLimitedProducerTest {

    private final MockProducer<byte[], byte[]> kafka =
            new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final AtomicLong answered = new AtomicLong();
    private final InFlightLimitedProducer<byte[], byte[]> producer =
            new InFlightLimitedProducer<>(kafka, answered::get, 2);

    private static ProducerRecord<byte[], byte[]> record(int i) {
        return new ProducerRecord<>("t", new byte[] {(byte) i}, new byte[] {(byte) i});
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aSendWaitsWhileTheLimitIsReachedAndGoesOnOnceAnAnswerCame() throws Exception {
        producer.send(record(1));
        producer.send(record(2));
        Thread third = new Thread(() -> producer.send(record(3)));
        third.start();
        third.join(300);

        assertThat(third.isAlive()).as("the third send waits for an answer").isTrue();
        assertThat(kafka.history()).hasSize(2);
        assertThat(producer.inFlight()).isEqualTo(2);

        answered.set(1);
        third.join();
        assertThat(kafka.history()).hasSize(3);
        assertThat(producer.inFlight()).isEqualTo(2);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void releasingLetsEverySendThroughAndClosingLeavesTheProducerOpen() {
        producer.release();
        for (int i = 0; i < 5; i++) {
            producer.send(record(i));
        }
        producer.close();

        assertThat(kafka.history()).hasSize(5);
        assertThat(kafka.closed()).isFalse();
    }

    @Test
    void repeatedAnswersNeverMakeTheCountNegative() {
        producer.send(record(1));
        answered.set(3);

        assertThat(producer.inFlight()).isZero();
    }
}
