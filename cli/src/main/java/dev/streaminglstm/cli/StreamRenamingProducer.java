package dev.streaminglstm.cli;

import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.schema.wire.SchemaRegistryException;
import dev.streaminglstm.schema.wire.ValueDecoder;
import dev.streaminglstm.schema.wire.ValueEncoder;
import dev.streaminglstm.schema.wire.ValueRejected;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
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
 * A producer of input records that renames their streams: a record of stream {@code <from><n>} leaves as stream
 * {@code <to><n>}, in its key and in its {@link TextEvent}. {@code produce --stream-prefix} puts it in front of the
 * {@link dev.streaminglstm.sandbox.corpus.CorpusReplayer}, whose streams are always called {@code doc-<n>}.
 * Every other call, {@code close} included, goes to the wrapped producer. Values are read and written in one wire
 * format; not thread-safe, like its encoder and decoder.
 */
final class StreamRenamingProducer implements Producer<byte[], byte[]> {

    private final Producer<byte[], byte[]> delegate;
    private final String from;
    private final String to;
    private final ValueDecoder<TextEvent> decoder;
    private final ValueEncoder<TextEvent> encoder;

    /** A renamer of single-object records. */
    StreamRenamingProducer(Producer<byte[], byte[]> delegate, String from, String to) {
        this(delegate, from, to, ValueDecoder.singleObject(TextEvent.class), ValueEncoder.singleObject(TextEvent.class));
    }

    /** A renamer of the records {@code decoder} reads, which {@code encoder} writes again. */
    StreamRenamingProducer(Producer<byte[], byte[]> delegate, String from, String to, ValueDecoder<TextEvent> decoder,
            ValueEncoder<TextEvent> encoder) {
        this.delegate = delegate;
        this.from = from;
        this.to = to;
        this.decoder = decoder;
        this.encoder = encoder;
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
        return delegate.send(renamed(record));
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
        return delegate.send(renamed(record), callback);
    }

    private ProducerRecord<byte[], byte[]> renamed(ProducerRecord<byte[], byte[]> record) {
        TextEvent event;
        try {
            event = decoder.decode(record.value());
        } catch (ValueRejected | SchemaRegistryException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        String stream = event.getStreamId();
        if (!stream.startsWith(from) || !stream.equals(new String(record.key(), StandardCharsets.UTF_8))) {
            throw new IllegalArgumentException("record of stream '" + stream + "' is not keyed by its id, or the id "
                    + "does not start with '" + from + "'");
        }
        event.setStreamId(to + stream.substring(from.length()));
        return new ProducerRecord<>(record.topic(), record.partition(), record.timestamp(),
                WireFormat.key(event.getStreamId()), encoder.encode(event), record.headers());
    }

    @Override
    public void flush() {
        delegate.flush();
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic) {
        return delegate.partitionsFor(topic);
    }

    @Override
    public Map<MetricName, ? extends Metric> metrics() {
        return delegate.metrics();
    }

    @Override
    public Uuid clientInstanceId(Duration timeout) {
        return delegate.clientInstanceId(timeout);
    }

    @Override
    public void registerMetricForSubscription(KafkaMetric metric) {
        delegate.registerMetricForSubscription(metric);
    }

    @Override
    public void unregisterMetricFromSubscription(KafkaMetric metric) {
        delegate.unregisterMetricFromSubscription(metric);
    }

    @Override
    public void initTransactions() {
        delegate.initTransactions();
    }

    @Override
    public void beginTransaction() {
        delegate.beginTransaction();
    }

    @Override
    public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets,
            ConsumerGroupMetadata groupMetadata) {
        delegate.sendOffsetsToTransaction(offsets, groupMetadata);
    }

    @Override
    public void commitTransaction() {
        delegate.commitTransaction();
    }

    @Override
    public void abortTransaction() {
        delegate.abortTransaction();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public void close(Duration timeout) {
        delegate.close(timeout);
    }
}
