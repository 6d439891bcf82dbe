package dev.streaminglstm.sandbox;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * How far a sandbox's replay got, read from the input topic itself: its producer marks each record with its index
 * in the replay ({@link #HEADER}), so the last marked record of the topic tells where a resumed replay goes on,
 * whatever else (kcat, {@code produce}) wrote there meanwhile. The producer is idempotent and the sandbox's topics
 * have one partition: what reached the topic is a prefix of what was sent, and the last index is the count minus 1.
 */
final class ReplayProgress {

    /** The header of the sandbox's replayed records: the record's index in the replay, decimal ASCII. */
    static final String HEADER = "streaming-lstm-sandbox-replay-index";

    private static final int STEP = 500;
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private ReplayProgress() {}

    /** Records of the replay in {@code topic}: the last index found plus 1, or 0 when none is marked. */
    static long recordsIn(Properties clientConfig, String topic) {
        Properties properties = new Properties();
        properties.putAll(clientConfig);
        properties.put(ConsumerConfig.CLIENT_ID_CONFIG, "sandbox-resume");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        properties.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(STEP));
        long records = 0;
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            for (var info : consumer.partitionsFor(topic, TIMEOUT)) {
                TopicPartition partition = new TopicPartition(topic, info.partition());
                records = Math.max(records, lastIndex(consumer, partition) + 1);
            }
        }
        return records;
    }

    /** The index of the partition's last marked record, or -1: read backwards, {@value #STEP} records at a time. */
    private static long lastIndex(KafkaConsumer<byte[], byte[]> consumer, TopicPartition partition) {
        consumer.assign(List.of(partition));
        long begin = consumer.beginningOffsets(List.of(partition), TIMEOUT).get(partition);
        long end = consumer.endOffsets(List.of(partition), TIMEOUT).get(partition);
        for (long to = end; to > begin; to = Math.max(begin, to - STEP)) {
            long from = Math.max(begin, to - STEP);
            long found = lastIndexBetween(consumer, partition, from, to);
            if (found >= 0) {
                return found;
            }
        }
        return -1;
    }

    private static long lastIndexBetween(KafkaConsumer<byte[], byte[]> consumer, TopicPartition partition, long from,
            long to) {
        consumer.seek(partition, from);
        long found = -1;
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (consumer.position(partition) < to) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("cannot read " + partition + " within " + TIMEOUT);
            }
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                Header header = record.headers().lastHeader(HEADER);
                if (record.offset() < to && header != null && header.value() != null) {
                    found = index(header.value()).orElse(found);
                }
            }
        }
        return found;
    }

    /** The header's index; empty for one the sandbox did not write (anyone may write headers). */
    private static OptionalLong index(byte[] value) {
        String text = new String(value, StandardCharsets.US_ASCII);
        return text.matches("\\d{1,18}") ? OptionalLong.of(Long.parseLong(text)) : OptionalLong.empty();
    }
}
