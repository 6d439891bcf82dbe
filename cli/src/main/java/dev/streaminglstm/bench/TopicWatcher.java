package dev.streaminglstm.bench;

import dev.streaminglstm.job.config.JobConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads topics of the job from their beginning on its own thread, as any client of the job could, and hands each
 * record to a handler (on that thread). Topics created with {@code message.timestamp.type=LogAppendTime} give each
 * record the broker's append time as its timestamp.
 */
final class TopicWatcher implements AutoCloseable {
    /** Topic settings under which every record's timestamp is the time the broker appended it. */
    static final java.util.Map<String, String> APPEND_TIME = java.util.Map.of("message.timestamp.type", "LogAppendTime");

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean running = true;

    TopicWatcher(JobConfig config, List<String> topics, java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> handler) {
        Properties properties = config.kafka().clientConfig();
        properties.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-watcher");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumer = new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread = new Thread(() -> {
            try {
                while (running) {
                    consumer.poll(Duration.ofMillis(100)).forEach(handler);
                }
            } catch (WakeupException e) {
                // closing
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                consumer.close(Duration.ofSeconds(5));
            }
        }, "bench-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    /** Throws what stopped the watcher early, if anything did. */
    void requireHealthy() {
        if (failure.get() != null) {
            throw new IllegalStateException("reading the topics failed: " + failure.get(), failure.get());
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(10_000);
        if (thread.isAlive()) {
            consumer.wakeup();
            thread.join(10_000);
        }
        requireHealthy();
    }
}
