package dev.streaminglstm.cli;

import dev.streaminglstm.sandbox.corpus.Corpus;
import dev.streaminglstm.sandbox.corpus.CorpusReplayer;
import dev.streaminglstm.sandbox.corpus.RateLimit;
import dev.streaminglstm.sandbox.corpus.TextChunker;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.wire.ValueEncoder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code streaming-lstm produce}: sends text files, standard input or the bundled demo corpus into the input topic
 * as concurrent text streams, through a {@link CorpusReplayer}. The last line on stdout is {@code key=value} pairs.
 */
@Command(name = "produce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Send text into the input topic as N concurrent streams: each stream takes the next document when its "
                    + "current one ends, and cuts it into chunks (TextEvent records, key = stream id, sequence "
                    + "numbers counting up from --first-sequence).",
            "Shows progress on stderr; the last line on stdout is records=N bytes=N documents=N streams=N "
                    + "topic=T next_sequence=N (a --first-sequence that continues these streams)."})
final class ProduceCommand implements Callable<Integer> {

    /** The stream id prefix the replayer gives its streams. */
    private static final String REPLAYER_PREFIX = "doc-";

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Parameters(paramLabel = "FILE", arity = "0..*",
            description = "UTF-8 text files to send, one after the other; - reads standard input.")
    List<String> files = new ArrayList<>();

    @Option(names = "--demo", description = "Send the bundled Europarl sample (about twenty languages) instead.")
    boolean demo;

    @Option(names = "--split", paramLabel = "lines|paragraphs", defaultValue = "paragraphs",
            converter = SplitConverter.class,
            description = "A document is a line, or a paragraph of lines between blank lines. Default: ${DEFAULT-VALUE}.")
    Corpus.Split split;

    @Option(names = "--topic", paramLabel = "TOPIC", defaultValue = "text-in",
            description = "The job's input topic. Default: ${DEFAULT-VALUE}.")
    String topic;

    @Option(names = "--streams", paramLabel = "N", defaultValue = "8",
            description = "Concurrent streams, 1..100000. Default: ${DEFAULT-VALUE}.")
    int streams;

    @Option(names = "--chunk-bytes", paramLabel = "BYTES", defaultValue = "64",
            description = "Largest chunk of text per record, at least 4, cut between characters. "
                    + "Default: ${DEFAULT-VALUE}.")
    int chunkBytes;

    @Option(names = "--rate", paramLabel = "BYTES/S|max", defaultValue = "max", converter = RateConverter.class,
            description = "Most bytes of text per second over all streams. Default: ${DEFAULT-VALUE}.")
    RateLimit rate;

    @Option(names = "--stream-prefix", paramLabel = "PREFIX", defaultValue = REPLAYER_PREFIX,
            description = "Stream ids are PREFIX0, PREFIX1, ... Default: ${DEFAULT-VALUE}.")
    String streamPrefix;

    @Option(names = "--first-sequence", paramLabel = "N", defaultValue = "0",
            description = "Sequence number of each stream's first chunk. The job drops chunks whose number is not "
                    + "above the last it saw on the stream: to add to streams it has seen, start above it "
                    + "(the next_sequence of the run before). Default: ${DEFAULT-VALUE}.")
    long firstSequence;

    @Override
    public Integer call() {
        List<Corpus> corpora = corpora();
        long totalBytes = totalBytes();
        Properties properties = kafka.clientProperties();
        kafka.requireAccess(properties, AclOperation.WRITE, topic);
        ValueEncoder<TextEvent> values = kafka.encoder(TextEvent.class, topic);
        properties.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "streaming-lstm-produce");
        properties.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, Integer.toString(kafka.timeoutMs()));

        Sent sent = new Sent();
        CountDownLatch finished = new CountDownLatch(1);
        Thread stopper = new Thread(() -> {
            sent.stop();
            await(finished);
        }, "produce-ctrl-c");
        Runtime.getRuntime().addShutdownHook(stopper);
        Producer<byte[], byte[]> kafkaProducer =
                new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
        try {
            Producer<byte[], byte[]> producer = streamPrefix.equals(REPLAYER_PREFIX) ? kafkaProducer
                    : new StreamRenamingProducer(kafkaProducer, REPLAYER_PREFIX, streamPrefix,
                            kafka.decoder(TextEvent.class), kafka.encoder(TextEvent.class, topic));
            long first = firstSequence;
            try (Progress progress = Progress.start(spec.commandLine().getErr(), "produce", totalBytes, sent::bytes,
                    Progress.Unit.BYTES)) {
                for (int i = 0; i < corpora.size() && !sent.stopped(); i++) {
                    CorpusReplayer replayer = CorpusReplayer.builder(producer, topic, corpora.get(i))
                            .streams(streams).chunkBytes(chunkBytes).rate(rate).firstSequenceNumber(first).values(values)
                            .build();
                    sent.replay(replayer);
                    // a stream sends at most all of a corpus's records: the next corpus numbers every stream above
                    first += replayer.recordsSent();
                }
                progress.finish();
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "records=%d bytes=%d documents=%d streams=%d topic=%s next_sequence=%d%n",
                    sent.records(), sent.bytes(), sent.documents(), streams, topic, first);
            out.flush();
            return 0;
        } finally {
            kafkaProducer.close(Duration.ofMillis(kafka.timeoutMs()));
            finished.countDown();
            removeHook(stopper);
        }
    }

    private List<Corpus> corpora() {
        FlagChecks.range(spec, "--streams", streams, 1, 100_000);
        if (chunkBytes < TextChunker.MIN_CHUNK_BYTES) {
            throw usage("--chunk-bytes: must be at least " + TextChunker.MIN_CHUNK_BYTES + ", was " + chunkBytes);
        }
        if (firstSequence < 0) {
            throw usage("--first-sequence: must not be negative, was " + firstSequence);
        }
        if (streamPrefix.isEmpty()) {
            throw usage("--stream-prefix: must not be empty");
        }
        if (demo) {
            if (!files.isEmpty()) {
                throw usage("give FILEs or --demo, not both");
            }
            return List.of(Corpus.europarl());
        }
        if (files.isEmpty()) {
            throw usage("name the FILEs to send, - for standard input, or --demo");
        }
        if (files.stream().filter("-"::equals).count() > 1) {
            throw usage("- (standard input) can be read only once");
        }
        List<Corpus> corpora = new ArrayList<>();
        for (String file : files) {
            if (file.equals("-")) {
                corpora.add(Corpus.file(Path.of("/dev/stdin"), split));
                continue;
            }
            Path path = Path.of(file);
            if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
                throw usage(file + ": not a readable file");
            }
            corpora.add(Corpus.file(path, split));
        }
        return corpora;
    }

    /** Bytes of all FILEs when every one is a regular file, else -1. */
    private long totalBytes() {
        if (demo || files.contains("-")) {
            return -1;
        }
        long total = 0;
        for (String file : files) {
            try {
                total += Files.size(Path.of(file));
            } catch (IOException e) {
                return -1;
            }
        }
        return total;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down (Ctrl-C): the hook is running and ends now
        }
    }

    /** What the replayers sent so far, over the corpora; stopped by Ctrl-C. */
    private static final class Sent {
        private final AtomicReference<CorpusReplayer> current = new AtomicReference<>();
        private final AtomicLong records = new AtomicLong();
        private final AtomicLong bytes = new AtomicLong();
        private final AtomicLong documents = new AtomicLong();
        private volatile boolean stopped;

        /** Runs one replayer to its end, then adds its counts. */
        void replay(CorpusReplayer replayer) {
            current.set(replayer);
            if (stopped) {
                replayer.stop();
            }
            try {
                replayer.run();
            } finally {
                current.set(null);
                records.addAndGet(replayer.recordsSent());
                bytes.addAndGet(replayer.bytesSent());
                documents.addAndGet(replayer.documentsStarted());
            }
        }

        void stop() {
            stopped = true;
            CorpusReplayer replayer = current.get();
            if (replayer != null) {
                replayer.stop();
            }
        }

        boolean stopped() {
            return stopped;
        }

        long records() {
            CorpusReplayer replayer = current.get();
            return records.get() + (replayer == null ? 0 : replayer.recordsSent());
        }

        long bytes() {
            CorpusReplayer replayer = current.get();
            return bytes.get() + (replayer == null ? 0 : replayer.bytesSent());
        }

        long documents() {
            CorpusReplayer replayer = current.get();
            return documents.get() + (replayer == null ? 0 : replayer.documentsStarted());
        }
    }

    /** Reads {@code lines} or {@code paragraphs}. */
    static final class SplitConverter implements ITypeConverter<Corpus.Split> {
        @Override
        public Corpus.Split convert(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "lines" -> Corpus.Split.LINES;
                case "paragraphs" -> Corpus.Split.PARAGRAPHS;
                default -> throw new TypeConversionException("'" + text + "' is not lines or paragraphs");
            };
        }
    }

    /** Reads a number of bytes per second above 0, or {@code max}. */
    static final class RateConverter implements ITypeConverter<RateLimit> {
        @Override
        public RateLimit convert(String text) {
            if (text.trim().equalsIgnoreCase("max")) {
                return RateLimit.unlimited();
            }
            try {
                double bytes = Double.parseDouble(text.trim());
                if (bytes > 0 && Double.isFinite(bytes)) {
                    return RateLimit.bytesPerSecond(bytes);
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new TypeConversionException("'" + text + "' is not a number of bytes per second above 0, or max");
        }
    }
}
