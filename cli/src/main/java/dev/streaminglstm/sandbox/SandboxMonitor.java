package dev.streaminglstm.sandbox;

import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.config.KafkaSettings.PredictionGuarantee;
import dev.streaminglstm.sandbox.SandboxStatus.PublishedVersion;
import dev.streaminglstm.sandbox.SandboxStatus.StreamSample;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.wire.ValueDecoder;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a running sandbox from the outside, as any client of the job could: reads the input, prediction and
 * dead-letter topics with one consumer (from the beginning, or from their ends for a resumed run), and the model
 * store's manifests about once a second, on its own thread. Counts each prediction once per (stream, chunk), as
 * the {@code Prediction} contract says consumers should, keeps the recent text and latest continuation of a few
 * streams, and the history of published versions (so the first loss survives the store's retention). Anyone may
 * write anything to the topics: a record it cannot decode is counted ({@link #undecodable()}) and passed over.
 */
final class SandboxMonitor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SandboxMonitor.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final long STORE_POLL_MS = 1000;
    private static final int CHUNKS_KEPT_PER_STREAM = 32;
    private static final int TEXT_KEPT_CHARS = 240;
    private static final int SURPRISES_KEPT = 256;

    private final JobConfig config;
    private final ModelStore store;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong undecodable = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean running = true;
    private volatile long catchUpUntilMillis;

    // Guarded by this.
    private final Map<String, StreamText> sampled = new LinkedHashMap<>();
    private final Map<String, Long> lastPredicted = new HashMap<>();
    private final TreeMap<Long, PublishedVersion> versions = new TreeMap<>();
    private final Deque<Double> surprises = new ArrayDeque<>();
    private final List<Double> firstSurprises = new ArrayList<>();
    private long surprisesSeen;
    private final Prequential prequential = new Prequential();
    private long predictions;
    private long noModel;
    private long deadLetters;
    private final ValueDecoder<TextEvent> inputDecoder;
    private final ValueDecoder<Prediction> predictionDecoder;
    private long lastStorePoll;

    /**
     * Starts watching.
     *
     * @param sampledStreams the streams whose text and continuation the status carries
     * @param fromTheEnd     read only what the topics get from now on (a resumed run), not what they hold
     */
    SandboxMonitor(JobConfig config, List<String> sampledStreams, boolean fromTheEnd) throws IOException {
        this.config = config;
        this.inputDecoder = config.kafka().valueFormat().decoder(TextEvent.class);
        this.predictionDecoder = config.kafka().valueFormat().decoder(Prediction.class);
        this.store = ModelStores.open(config.store().uri());
        sampledStreams.forEach(id -> sampled.put(id, new StreamText()));
        Properties properties = config.kafka().clientConfig();
        properties.put(ConsumerConfig.CLIENT_ID_CONFIG, "sandbox-monitor");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Transactional predictions (EXACTLY_ONCE) count once committed, as any reader would see them.
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                config.kafka().predictionGuarantee() == PredictionGuarantee.EXACTLY_ONCE
                        ? "read_committed" : "read_uncommitted");
        this.consumer = new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(config.kafka().inputTopic(), config.kafka().predictionTopic(), config.kafka().deadLetterTopic())) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(partitions);
        if (fromTheEnd) {
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // fixes the ends now, before anything new comes
        } else {
            consumer.seekToBeginning(partitions);
        }
        this.thread = new Thread(this::watch, "sandbox-monitor");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Distinct predictions of any status so far: the records the job has answered. Any thread may call it. */
    long answered() {
        return answered.get();
    }

    /** Records of the input or prediction topic that are not what the job writes or reads, passed over. */
    long undecodable() {
        return undecodable.get();
    }

    /** Why watching stopped early, if it did. */
    Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    /** The current figures, with the producer's own counters added. */
    synchronized SandboxStatus status(Duration elapsed, int streams, long bytesSent, long chunksSent, long inFlight) {
        List<StreamSample> samples = new ArrayList<>();
        sampled.forEach((id, text) -> text.sample(id).ifPresent(samples::add));
        Optional<Double> firstSurprise = surprisesSeen >= 2L * SURPRISES_KEPT ? mean(firstSurprises) : Optional.empty();
        return new SandboxStatus(elapsed, streams, bytesSent, chunksSent, inFlight, predictions, noModel, deadLetters,
                mean(surprises), firstSurprise, new ArrayList<>(versions.values()), samples, prequential.snapshot());
    }

    private static Optional<Double> mean(Collection<Double> values) {
        return values.isEmpty() ? Optional.empty()
                : Optional.of(values.stream().mapToDouble(Double::doubleValue).average().orElse(0));
    }

    /**
     * Reads everything already written to the three topics, and the store once more, then stops: call it after the
     * job has ended so the last figures are complete. Waits at most {@code timeout}.
     */
    void finish(Duration timeout) {
        catchUpUntilMillis = System.currentTimeMillis() + timeout.toMillis();
        running = false;
        join(timeout.plusSeconds(5));
    }

    @Override
    public void close() {
        running = false;
        catchUpUntilMillis = 0;
        if (thread.isAlive()) {
            consumer.wakeup();
            join(Duration.ofSeconds(10));
        }
    }

    private void join(Duration timeout) {
        try {
            thread.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            consumer.wakeup();
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void watch() {
        try {
            while (running) {
                poll();
            }
            catchUp();
        } catch (WakeupException e) {
            // closing
        } catch (Throwable e) {
            LOG.error("the sandbox monitor stopped", e);
            failure.set(e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void catchUp() {
        Map<TopicPartition, Long> ends = consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(5));
        while (System.currentTimeMillis() < catchUpUntilMillis
                && ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            poll();
        }
        pollStore(true);
    }

    private void poll() {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
            String topic = record.topic();
            if (topic.equals(config.kafka().predictionTopic())) {
                onPrediction(record.value());
            } else if (topic.equals(config.kafka().inputTopic())) {
                onInput(record.key(), record.value());
            } else {
                synchronized (this) {
                    deadLetters++;
                }
            }
        }
        pollStore(false);
    }

    private void onInput(byte[] key, byte[] value) {
        if (key == null) {
            return;
        }
        StreamText text;
        synchronized (this) {
            text = sampled.get(new String(key, StandardCharsets.UTF_8));
        }
        if (text == null) {
            return;
        }
        TextEvent event = decode(() -> inputDecoder.decode(value), "input");
        if (event == null) {
            return;
        }
        synchronized (this) {
            text.add(event.getSequenceNumber(), event.getText(), event.getStartsDocument());
        }
    }

    private void onPrediction(byte[] value) {
        Prediction p = decode(() -> predictionDecoder.decode(value), "prediction");
        if (p == null) {
            return;
        }
        synchronized (this) {
            Long last = lastPredicted.get(p.getStreamId());
            if (last != null && p.getSequenceNumber() <= last) {
                return; // a repeat after a job restart
            }
            lastPredicted.put(p.getStreamId(), p.getSequenceNumber());
            answered.incrementAndGet();
            if (p.getStatus() == PredictionStatus.NO_MODEL) {
                noModel++;
                return;
            }
            predictions++;
            prequential.add(p.getScoredBits(), p.getScoredTokens(), p.getDraft());
            if (p.getSurpriseBits() != null && Double.isFinite(p.getSurpriseBits())) {
                surprises.addLast(p.getSurpriseBits());
                surprisesSeen++;
                if (firstSurprises.size() < SURPRISES_KEPT) {
                    firstSurprises.add(p.getSurpriseBits());
                }
                if (surprises.size() > SURPRISES_KEPT) {
                    surprises.removeFirst();
                }
            }
            StreamText text = sampled.get(p.getStreamId());
            if (text != null) {
                text.predicted(p.getSequenceNumber(), p.getContinuation(),
                        p.getModelVersion() == null ? 0 : p.getModelVersion());
            }
        }
    }

    private void pollStore(boolean now) {
        long time = System.currentTimeMillis();
        if (!now && time - lastStorePoll < STORE_POLL_MS) {
            return;
        }
        lastStorePoll = time;
        try {
            OptionalLong latest = store.latestVersion();
            synchronized (this) {
                if (latest.isEmpty() || versions.containsKey(latest.getAsLong())) {
                    return;
                }
            }
            for (ModelManifest m : store.listVersions()) {
                if (m.getVersion() <= latest.getAsLong()) {
                    synchronized (this) {
                        versions.putIfAbsent(m.getVersion(), new PublishedVersion(m.getVersion(), m.getCreatedAt(),
                                m.getTokensTrained(), Optional.ofNullable(m.getRecentLossBpc()),
                                Optional.ofNullable(m.getTrainingPrequentialBpc())));
                    }
                }
            }
        } catch (IOException e) {
            // Retention may delete a version between listing and reading it: read again next time.
            LOG.debug("cannot read the model store yet: {}", e.toString());
        }
    }

    private interface Decoding<T> {
        T decode() throws Exception;
    }

    /** The decoded record, or null (counted) when it is not one: the job dead-letters such input. */
    private <T> T decode(Decoding<T> decoding, String what) {
        try {
            return decoding.decode();
        } catch (Exception e) { // registry errors included: the monitor never dies of a record
            if (undecodable.incrementAndGet() == 1) {
                LOG.info("passing over a record of the {} topic that is not what the job writes or reads: {}", what,
                        e.toString());
            }
            return null;
        }
    }

    /** A sampled stream's recent chunks and its latest continuation. Guarded by the monitor. */
    private static final class StreamText {
        private record Chunk(long sequenceNumber, String text, boolean startsDocument) {}

        private final Deque<Chunk> chunks = new ArrayDeque<>();
        private long predictedSequence = -1;
        private String continuation = "";
        private long modelVersion;

        void add(long sequenceNumber, String text, boolean startsDocument) {
            chunks.addLast(new Chunk(sequenceNumber, text, startsDocument));
            if (chunks.size() > CHUNKS_KEPT_PER_STREAM) {
                chunks.removeFirst();
            }
        }

        void predicted(long sequenceNumber, String continuation, long modelVersion) {
            this.predictedSequence = sequenceNumber;
            this.continuation = continuation;
            this.modelVersion = modelVersion;
        }

        Optional<StreamSample> sample(String streamId) {
            if (predictedSequence < 0) {
                return Optional.empty();
            }
            StringBuilder text = new StringBuilder();
            for (Chunk c : chunks) {
                if (c.sequenceNumber() > predictedSequence) {
                    break;
                }
                if (c.startsDocument()) {
                    text.setLength(0);
                }
                text.append(c.text());
            }
            int from = Math.max(0, text.length() - TEXT_KEPT_CHARS);
            if (from > 0 && Character.isLowSurrogate(text.charAt(from))) {
                from++; // do not cut a character in two
            }
            String recent = text.substring(from);
            return Optional.of(new StreamSample(streamId, recent, continuation, modelVersion));
        }
    }
}
