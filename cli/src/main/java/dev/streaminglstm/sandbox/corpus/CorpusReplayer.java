package dev.streaminglstm.sandbox.corpus;

import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.schema.wire.ValueEncoder;
import dev.streaminglstm.schema.TextEvent;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Collections;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Replays a {@link Corpus} into the input topic as {@code streams} concurrent text streams with ids
 * {@code doc-0 .. doc-<streams-1>}. Each stream takes the corpus's next document whenever its current one ends, so
 * one stream carries many documents; the first chunk of each document has {@code startsDocument = true}. Documents
 * are cut by {@link TextChunker} into chunks of at most {@code chunkBytes} UTF-8 bytes; the streams take turns, one
 * chunk each, and every stream numbers its chunks from {@code firstSequenceNumber} up by one. Records follow
 * {@link WireFormat}: key = stream id, value = the {@link TextEvent} (single-object, or as {@link Builder#values}
 * encodes it); its event time is the clock's time of sending.
 *
 * <p>{@link #run()} sends until the corpus is used up (or forever with {@code repeat}, starting the corpus over) or
 * until {@link #stop()}, then flushes the producer; a failed send ends it with an exception. The producer stays
 * the caller's to close. {@link #recordsSent()} and {@link #bytesSent()} may be read from any thread.
 *
 * <p>The replay is the same every time for the same corpus, streams and chunk size, so a replay can continue an
 * earlier one: {@link Builder#skip} leaves out the records that one sent, and {@link Builder#indexHeader} marks
 * every record with its place in the replay, so that the topic tells how far it got.
 */
public final class CorpusReplayer implements Runnable {

    private static final long MAX_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final Corpus corpus;
    private final int streams;
    private final int chunkBytes;
    private final RateLimit rate;
    private final boolean repeat;
    private final int passes;
    private final long firstSequenceNumber;
    private final long skip;
    private final String indexHeader;
    private final Clock clock;
    private final ValueEncoder<TextEvent> values;

    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicLong records = new AtomicLong();
    private volatile long recordLimit = Long.MAX_VALUE;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong documents = new AtomicLong();
    private final AtomicReference<Exception> sendFailure = new AtomicReference<>();

    private CorpusReplayer(Builder builder) {
        this.producer = builder.producer;
        this.topic = builder.topic;
        this.corpus = builder.corpus;
        this.streams = builder.streams;
        this.chunkBytes = builder.chunkBytes;
        this.rate = builder.rate;
        this.repeat = builder.repeat;
        this.passes = builder.passes;
        this.firstSequenceNumber = builder.firstSequenceNumber;
        this.skip = builder.skip;
        this.indexHeader = builder.indexHeader;
        this.clock = builder.clock;
        this.values = builder.values;
    }

    /** A replayer of {@code corpus} into {@code topic} through {@code producer}, with defaults to adjust. */
    public static Builder builder(Producer<byte[], byte[]> producer, String topic, Corpus corpus) {
        return new Builder(producer, topic, corpus);
    }

    /**
     * Sends until the corpus is used up or {@link #stop()}; runs once.
     *
     * @throws IllegalStateException if a send failed, if run twice, or if a repeated corpus has no documents
     */
    @Override
    public void run() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("a replayer runs once");
        }
        StreamSlot[] slots = new StreamSlot[streams];
        for (int i = 0; i < streams; i++) {
            slots[i] = new StreamSlot("doc-" + i, firstSequenceNumber);
        }
        DocumentSupply supply = new DocumentSupply();
        try {
            long toSkip = skip;
            long startNanos = System.nanoTime();
            boolean sentAny = true;
            while (sentAny && !stopped.get()) {
                sentAny = false;
                for (StreamSlot slot : slots) {
                    if (stopped.get() || !slot.hasChunk(supply)) {
                        continue;
                    }
                    sentAny = true;
                    if (toSkip > 0) {
                        next(slot); // sent by the replay this one goes on from
                        if (--toSkip == 0) {
                            documents.set(0);
                            startNanos = System.nanoTime();
                        }
                        continue;
                    }
                    send(slot);
                    pace(startNanos);
                }
            }
            producer.flush();
            throwIfSendFailed();
        } finally {
            supply.close();
        }
    }

    /** Makes {@link #run()} return soon after the chunk it is sending; any thread may call it. */
    public void stop() {
        stopped.set(true);
    }

    /** Makes {@link #run()} stop once it has sent {@code limit} records in all; call it before {@link #run()}. */
    public void stopAfterRecords(long limit) {
        recordLimit = limit;
    }

    /** Records sent so far (handed to the producer). */
    public long recordsSent() {
        return records.get();
    }

    /** UTF-8 bytes of chunk text sent so far. */
    public long bytesSent() {
        return bytes.get();
    }

    /** Documents begun so far (after the skipped records). */
    public long documentsStarted() {
        return documents.get();
    }

    private void send(StreamSlot slot) {
        throwIfSendFailed();
        TextEvent event = next(slot);
        ProducerRecord<byte[], byte[]> record =
                new ProducerRecord<>(topic, WireFormat.key(slot.streamId), values.encode(event));
        if (indexHeader != null) {
            long index = skip + records.get();
            record.headers().add(indexHeader, Long.toString(index).getBytes(StandardCharsets.US_ASCII));
        }
        producer.send(record, (metadata, exception) -> {
            if (exception != null) {
                sendFailure.compareAndSet(null, exception);
            }
        });
        if (records.incrementAndGet() >= recordLimit) {
            stopped.set(true);
        }
        bytes.addAndGet(event.getText().getBytes(StandardCharsets.UTF_8).length);
    }

    /** The slot's next chunk as an event; the slot moves past it. */
    private TextEvent next(StreamSlot slot) {
        TextEvent event = TextEvent.newBuilder()
                .setStreamId(slot.streamId)
                .setSequenceNumber(slot.nextSequenceNumber++)
                .setText(slot.chunks.next())
                .setEventTime(clock.instant())
                .setStartsDocument(slot.startsDocument)
                .setFeatures(null)
                .build();
        slot.startsDocument = false;
        return event;
    }

    private void pace(long startNanos) {
        long due = startNanos + rate.earliestNanos(records.get(), bytes.get());
        for (long wait = due - System.nanoTime(); wait > 0 && !stopped.get(); wait = due - System.nanoTime()) {
            try {
                TimeUnit.NANOSECONDS.sleep(Math.min(wait, MAX_SLEEP_NANOS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop();
            }
        }
    }

    private void throwIfSendFailed() {
        Exception failure = sendFailure.get();
        if (failure != null) {
            throw new IllegalStateException("cannot write to topic " + topic + ": " + failure, failure);
        }
    }

    /** One stream: its id, its next sequence number and what is left of its current document. */
    private final class StreamSlot {
        final String streamId;
        long nextSequenceNumber;
        Iterator<String> chunks = Collections.emptyIterator();
        boolean startsDocument;

        StreamSlot(String streamId, long firstSequenceNumber) {
            this.streamId = streamId;
            this.nextSequenceNumber = firstSequenceNumber;
        }

        /** True when a chunk is ready, taking the next document if the current one is done. */
        boolean hasChunk(DocumentSupply supply) {
            if (!chunks.hasNext()) {
                String document = supply.next();
                if (document == null) {
                    return false;
                }
                chunks = TextChunker.chunks(document, chunkBytes).iterator();
                startsDocument = true;
                documents.incrementAndGet();
            }
            return true;
        }
    }

    /** The corpus's documents in order, started over when used up if {@code repeat} or passes are left. */
    private final class DocumentSupply implements AutoCloseable {
        private Stream<String> open;
        private Iterator<String> documents;
        private boolean exhausted;
        private int opened;

        String next() {
            if (exhausted) {
                return null;
            }
            if (documents == null || !documents.hasNext()) {
                boolean first = documents == null;
                if (!first && !repeat && opened >= passes) {
                    exhausted = true;
                    return null;
                }
                reopen();
                if (!documents.hasNext()) {
                    if (repeat) {
                        throw new IllegalStateException("corpus " + corpus.name() + " has no documents to repeat");
                    }
                    exhausted = true;
                    return null;
                }
            }
            return documents.next();
        }

        private void reopen() {
            close();
            open = corpus.documents();
            documents = open.iterator();
            opened++;
        }

        @Override
        public void close() {
            if (open != null) {
                open.close();
            }
        }
    }

    /** Settings of a {@link CorpusReplayer}; every one has a default. */
    public static final class Builder {
        private final Producer<byte[], byte[]> producer;
        private final String topic;
        private final Corpus corpus;
        private int streams = 4;
        private int chunkBytes = 64;
        private RateLimit rate = RateLimit.unlimited();
        private boolean repeat;
        private int passes = 1;
        private long firstSequenceNumber;
        private long skip;
        private String indexHeader;
        private Clock clock = Clock.systemUTC();
        private ValueEncoder<TextEvent> values = ValueEncoder.singleObject(TextEvent.class);

        private Builder(Producer<byte[], byte[]> producer, String topic, Corpus corpus) {
            this.producer = Objects.requireNonNull(producer, "producer");
            this.topic = Objects.requireNonNull(topic, "topic");
            this.corpus = Objects.requireNonNull(corpus, "corpus");
        }

        /** Concurrent streams, default 4. */
        public Builder streams(int streams) {
            if (streams < 1) {
                throw new IllegalArgumentException("streams must be at least 1, was " + streams);
            }
            this.streams = streams;
            return this;
        }

        /** Largest chunk in UTF-8 bytes, at least {@value TextChunker#MIN_CHUNK_BYTES}; default 64. */
        public Builder chunkBytes(int chunkBytes) {
            if (chunkBytes < TextChunker.MIN_CHUNK_BYTES) {
                throw new IllegalArgumentException("chunkBytes must be at least " + TextChunker.MIN_CHUNK_BYTES
                        + ", was " + chunkBytes);
            }
            this.chunkBytes = chunkBytes;
            return this;
        }

        /** Send rate, default unlimited. */
        public Builder rate(RateLimit rate) {
            this.rate = Objects.requireNonNull(rate, "rate");
            return this;
        }

        /** Start the corpus over when it is used up, until stopped; default false. */
        public Builder repeat(boolean repeat) {
            this.repeat = repeat;
            return this;
        }

        /** Without {@link #repeat}: how many times the corpus is sent, default 1. */
        public Builder passes(int passes) {
            if (passes < 1) {
                throw new IllegalArgumentException("passes must be at least 1, was " + passes);
            }
            this.passes = passes;
            return this;
        }

        /**
         * Sequence number of each stream's first chunk, default 0. The job drops chunks whose number is not above
         * the last it saw for the stream, so a replay into a topic a running job has read needs a higher start.
         */
        public Builder firstSequenceNumber(long firstSequenceNumber) {
            this.firstSequenceNumber = firstSequenceNumber;
            return this;
        }

        /**
         * Leave out the replay's first {@code records} records, default 0: the replay goes on where one that sent
         * them stopped, with the same documents, chunks and sequence numbers.
         */
        public Builder skip(long records) {
            if (records < 0) {
                throw new IllegalArgumentException("records to skip must be at least 0, was " + records);
            }
            this.skip = records;
            return this;
        }

        /**
         * Give every record a header {@code name} holding its index in the replay (0 for the first record of the
         * replay, skipped ones counted) in decimal ASCII; default none.
         */
        public Builder indexHeader(String name) {
            this.indexHeader = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Clock of the events' event time, default the system clock in UTC. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The encoder of the records' values, default single-object; used by the replaying thread only. */
        public Builder values(ValueEncoder<TextEvent> encoder) {
            this.values = Objects.requireNonNull(encoder, "encoder");
            return this;
        }

        public CorpusReplayer build() {
            return new CorpusReplayer(this);
        }
    }
}
