package dev.streaminglstm.sandbox;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metrics.KafkaMetric;

/**
 * A {@link Producer} that keeps the job from falling behind its input: {@link #send} waits while
 * {@code maxInFlight} or more records sent through it have no answer yet, an answer being whatever
 * {@code answered} counts (in the sandbox, the predictions the job wrote for them). A small backlog keeps
 * checkpoint barriers, and so new model versions, from queueing behind minutes of unread input on a slow
 * machine. Every other call goes straight to the wrapped producer, which stays the caller's to close.
 */
final class InFlightLimitedProducer<K, V> implements Producer<K, V> {

    private static final long WAIT_STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private final Producer<K, V> producer;
    private final LongSupplier answered;
    private final int maxInFlight;
    private final AtomicLong sent = new AtomicLong();
    private volatile boolean released;

    InFlightLimitedProducer(Producer<K, V> producer, LongSupplier answered, int maxInFlight) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, was " + maxInFlight);
        }
        this.producer = Objects.requireNonNull(producer, "producer");
        this.answered = Objects.requireNonNull(answered, "answered");
        this.maxInFlight = maxInFlight;
    }

    /** Records sent and not answered yet (never below 0: answers may repeat after a job restart). */
    long inFlight() {
        return Math.max(0, sent.get() - answered.getAsLong());
    }

    /** Stops waiting, for good: {@link #send} passes everything from now on (used when shutting down). */
    void release() {
        released = true;
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<K, V> record) {
        return send(record, null);
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<K, V> record, Callback callback) {
        while (!released && inFlight() >= maxInFlight) {
            LockSupport.parkNanos(WAIT_STEP_NANOS);
            if (Thread.currentThread().isInterrupted()) {
                break;
            }
        }
        sent.incrementAndGet();
        return producer.send(record, callback);
    }

    @Override
    public void initTransactions() {
        producer.initTransactions();
    }

    @Override
    public void beginTransaction() {
        producer.beginTransaction();
    }

    @Override
    public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets,
            ConsumerGroupMetadata groupMetadata) {
        producer.sendOffsetsToTransaction(offsets, groupMetadata);
    }

    @Override
    public void commitTransaction() {
        producer.commitTransaction();
    }

    @Override
    public void abortTransaction() {
        producer.abortTransaction();
    }

    @Override
    public void registerMetricForSubscription(KafkaMetric metric) {
        producer.registerMetricForSubscription(metric);
    }

    @Override
    public void unregisterMetricFromSubscription(KafkaMetric metric) {
        producer.unregisterMetricFromSubscription(metric);
    }

    @Override
    public void flush() {
        producer.flush();
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic) {
        return producer.partitionsFor(topic);
    }

    @Override
    public Map<MetricName, ? extends Metric> metrics() {
        return producer.metrics();
    }

    @Override
    public Uuid clientInstanceId(Duration timeout) {
        return producer.clientInstanceId(timeout);
    }

    /** Does not close the wrapped producer: that stays with whoever made it. */
    @Override
    public void close() {
        release();
    }

    /** Does not close the wrapped producer: that stays with whoever made it. */
    @Override
    public void close(Duration timeout) {
        release();
    }
}
