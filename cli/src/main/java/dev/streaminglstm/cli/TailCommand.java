package dev.streaminglstm.cli;

import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TokenProbability;
import dev.streaminglstm.schema.wire.SchemaRegistryException;
import dev.streaminglstm.schema.wire.ValueDecoder;
import dev.streaminglstm.schema.wire.ValueRejected;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code streaming-lstm tail}: follows the prediction topic (or the dead-letter topic) and prints each record as
 * one readable line. Predictions are at-least-once, so a (stream, sequence) pair is printed once; a dead letter is
 * printed once per rejected record (topic, partition, offset).
 */
@Command(name = "tail", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Follow the job's predictions and print one line each: stream, sequence number, model version, the "
                    + "most likely next bytes with their probabilities, the greedy continuation (after ->) and "
                    + "the surprise of the previous prediction in bits, and the chunk's prequential bits per token "
                    + "(each byte scored before the model saw it) with the stream's so far.",
            "With --dead-letters, follow the rejected input instead: where it came from and why.",
            "Runs until Ctrl-C or --max lines; reads committed records only."})
final class TailCommand implements Callable<Integer> {

    /** How many recent records are remembered to drop repeats. */
    static final int REMEMBERED = 100_000;

    /** How many undecodable records are named on stderr; the rest are only counted. */
    private static final int UNDECODABLE_SHOWN = 5;

    private static final Duration POLL = Duration.ofMillis(500);

    /** Read values written with any version of the schema (or any registered one), so older ones still show. */
    private ValueDecoder<DeadLetter> deadLetterDecoder;
    private ValueDecoder<Prediction> predictionDecoder;

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--topic", paramLabel = "TOPIC",
            description = "Topic to follow. Default: predictions, or text-dlq with --dead-letters.")
    String topic;

    @Option(names = "--dead-letters", description = "Follow the dead-letter topic instead of the predictions.")
    boolean deadLetters;

    @Option(names = "--from-beginning", description = "Start at the oldest record kept, not at the newest.")
    boolean fromBeginning;

    @Option(names = "--stream", paramLabel = "ID",
            description = "Only this stream (for dead letters: records with this key); repeatable.")
    List<String> streams = new ArrayList<>();

    @Option(names = "--max", paramLabel = "N", description = "Stop after printing N records.")
    Long max;

    @Override
    public Integer call() {
        if (max != null && max < 1) {
            throw new ParameterException(spec.commandLine(), "--max: must be at least 1, was " + max);
        }
        String followed = topic != null ? topic : deadLetters ? "text-dlq" : "predictions";
        Properties properties = kafka.clientProperties();
        deadLetterDecoder = kafka.decoder(DeadLetter.class);
        predictionDecoder = kafka.decoder(Prediction.class);
        kafka.requireAccess(properties, AclOperation.READ, followed);
        properties.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "streaming-lstm-tail");
        properties.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");

        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Tally tally = new Tally();
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(followed).stream()
                    .map(p -> new TopicPartition(followed, p.partition())).toList();
            consumer.assign(partitions);
            if (fromBeginning) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            CountDownLatch finished = new CountDownLatch(1);
            Thread stopper = new Thread(() -> {
                consumer.wakeup();
                try {
                    finished.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "tail-ctrl-c");
            Runtime.getRuntime().addShutdownHook(stopper);
            try {
                follow(consumer, out, err, tally);
            } catch (WakeupException e) {
                // Ctrl-C
            } finally {
                err.println("tail: " + tally);
                err.flush();
                finished.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(stopper);
                } catch (IllegalStateException e) {
                    // the JVM is shutting down (Ctrl-C): the hook is running and ends now
                }
            }
        }
        return 0;
    }

    private void follow(KafkaConsumer<byte[], byte[]> consumer, PrintWriter out, PrintWriter err, Tally tally) {
        RecentKeys seen = new RecentKeys(REMEMBERED);
        while (max == null || tally.printed < max) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                String line;
                try {
                    line = deadLetters ? deadLetterLine(record, seen, tally) : predictionLine(record, seen, tally);
                } catch (ValueRejected | SchemaRegistryException e) {
                    tally.undecodable++;
                    if (tally.undecodable <= UNDECODABLE_SHOWN) {
                        err.printf("tail: skipped %s/%d@%d: not a %s (%s)%s%n", record.topic(), record.partition(),
                                record.offset(), deadLetters ? "DeadLetter" : "Prediction", e.getMessage(),
                                tally.undecodable == UNDECODABLE_SHOWN ? "; more such records are only counted" : "");
                    }
                    continue;
                }
                if (line != null) {
                    out.println(line);
                    tally.printed++;
                    if (max != null && tally.printed >= max) {
                        break;
                    }
                }
            }
            out.flush();
        }
    }

    /** The line of a prediction, or null if it is filtered out or a repeat. */
    private String predictionLine(ConsumerRecord<byte[], byte[]> record, RecentKeys seen, Tally tally)
            throws ValueRejected, SchemaRegistryException {
        Prediction p = predictionDecoder.decode(record.value());
        if (!streams.isEmpty() && !streams.contains(p.getStreamId())) {
            return null;
        }
        if (!seen.add(p.getStreamId() + "\u0000" + p.getSequenceNumber())) {
            tally.repeats++;
            return null;
        }
        StringBuilder line = new StringBuilder()
                .append(p.getStreamId()).append(" #").append(p.getSequenceNumber());
        if (p.getStatus() == PredictionStatus.NO_MODEL || p.getModelVersion() == null) {
            return line.append("  (no model published yet)").toString();
        }
        line.append("  v").append(p.getModelVersion()).append(p.getDraft() ? " (draft)" : "");
        for (TokenProbability t : p.getTopK()) {
            line.append(String.format(Locale.ROOT, "  '%s' %.1f%%", t.getDisplay(), 100.0 * t.getProbability()));
        }
        line.append("  -> \"").append(escape(p.getContinuation())).append('"');
        line.append(p.getSurpriseBits() == null ? "  surprise -"
                : String.format(Locale.ROOT, "  surprise %.2f bits", p.getSurpriseBits()));
        if (p.getScoredTokens() > 0) {
            line.append(String.format(Locale.ROOT, "  bpc %.2f over %d tokens", p.getScoredBits() / p.getScoredTokens(),
                    p.getScoredTokens()));
            if (p.getStreamBpc() != null) {
                line.append(String.format(Locale.ROOT, ", stream %.2f", p.getStreamBpc()));
            }
        }
        return line.toString();
    }

    /** The line of a dead letter, or null if it is filtered out or a repeat. */
    private String deadLetterLine(ConsumerRecord<byte[], byte[]> record, RecentKeys seen, Tally tally)
            throws ValueRejected, SchemaRegistryException {
        DeadLetter d = deadLetterDecoder.decode(record.value());
        String key = d.getKey() == null ? null : new String(bytes(d.getKey()), StandardCharsets.UTF_8);
        if (!streams.isEmpty() && !streams.contains(key)) {
            return null;
        }
        if (!seen.add(d.getTopic() + "\u0000" + d.getPartition() + "\u0000" + d.getOffset())) {
            tally.repeats++;
            return null;
        }
        return String.format(Locale.ROOT, "%s/%d@%d  %s: %s  (key %s, value %s, rejected %s)", d.getTopic(),
                d.getPartition(), d.getOffset(), d.getReasonCode(), d.getReason(),
                key == null ? "none" : "\"" + escape(key) + "\"",
                d.getValue() == null ? "none" : d.getValue().remaining()
                        + (d.getTruncated() ? " of " + d.getOriginalValueSize() : "") + " bytes",
                d.getRejectedAt().toEpochMilli() == 0 ? "-" : d.getRejectedAt());
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    /** Text on one line: backslash escapes for quotes, backslashes and control characters. */
    static String escape(String text) {
        StringBuilder s = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            switch (c) {
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                default -> {
                    if (Character.isISOControl(c)) {
                        s.append(String.format(Locale.ROOT, "\\u%04x", c));
                    } else {
                        s.appendCodePoint(c);
                    }
                }
            }
        });
        return s.toString();
    }

    /** Counts for the closing line on stderr. */
    private static final class Tally {
        long printed;
        long repeats;
        long undecodable;

        @Override
        public String toString() {
            return printed + " printed, " + repeats + " repeats dropped, " + undecodable + " undecodable";
        }
    }

    /** The most recent keys, up to a bound: enough to catch the repeats of an at-least-once restart. */
    private static final class RecentKeys {
        private final Map<String, Boolean> keys;

        RecentKeys(int capacity) {
            this.keys = new LinkedHashMap<>(1024, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > capacity;
                }
            };
        }

        /** Whether the key is new; remembers it. */
        boolean add(String key) {
            return keys.put(key, Boolean.TRUE) == null;
        }
    }
}
