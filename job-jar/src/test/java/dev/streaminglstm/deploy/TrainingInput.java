package dev.streaminglstm.deploy;

import dev.streaminglstm.schema.TextEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The text streams of a fault test, from a seed: interleaved chunks of several streams (multilingual words, UTF-8
 * of one to three bytes a character), document starts, and replays of chunks already sent (a duplicate the job
 * must drop). Besides the records in the order they are sent, it says what a job that loses nothing and counts
 * nothing twice makes of them, worked out here from the bytes alone, not with the job's classes: the windows and
 * tokens it trains, and each accepted chunk's byte position in its stream.
 */
final class TrainingInput {

    private static final String[] WORDS = {"Europe ", "le ", "Parlement ", "der ", "Rat ", "é ", "δημοκρατία ",
        "and ", "the ", "Commission ", "über ", "para ", "1999. ", "€ ", "ünd "};

    /** A stream's chunk and its sequence number. */
    record Key(String stream, long sequence) {}

    private final List<TextEvent> records;
    /** Entry n: how many of the first n records are accepted chunks (not replays). */
    private final int[] acceptedAmongFirst;
    private final Map<Key, Long> bytePositions;
    /**
     * Entry i: the tokens record i's stream has added to training once record i is read (its bytes, plus
     * {@code <start>} and {@code <end>} marks).
     */
    private final long[] streamTokensAfter;

    private TrainingInput(List<TextEvent> records) {
        this.records = List.copyOf(records);
        acceptedAmongFirst = new int[records.size() + 1];
        bytePositions = new HashMap<>();
        streamTokensAfter = new long[records.size()];
        Map<String, Long> tokensPerStream = new HashMap<>();
        Map<String, Long> lastSequence = new HashMap<>();
        Map<String, Long> bytes = new HashMap<>();
        for (int i = 0; i < records.size(); i++) {
            TextEvent event = records.get(i);
            String stream = event.getStreamId();
            boolean replay = event.getSequenceNumber() <= lastSequence.getOrDefault(stream, Long.MIN_VALUE);
            acceptedAmongFirst[i + 1] = acceptedAmongFirst[i] + (replay ? 0 : 1);
            streamTokensAfter[i] = tokensPerStream.getOrDefault(stream, 0L);
            if (replay) {
                continue;
            }
            lastSequence.put(stream, event.getSequenceNumber());
            int length = event.getText().getBytes(StandardCharsets.UTF_8).length;
            long tokensBefore = tokensPerStream.getOrDefault(stream, 0L);
            // <start> opens a document; <end> first closes the one before, if the stream has any tokens
            int marks = !event.getStartsDocument() ? 0 : tokensBefore > 0 ? 2 : 1;
            tokensPerStream.put(stream, tokensBefore + marks + length);
            streamTokensAfter[i] = tokensBefore + marks + length;
            long position = bytes.merge(stream, (long) length, Long::sum);
            bytePositions.put(new Key(stream, event.getSequenceNumber()), position);
        }
    }

    /** {@code chunks} chunks of each of {@code streams} streams, one chunk of every stream in turn. */
    static TrainingInput generate(long seed, int streams, int chunks) {
        Random random = new Random(seed);
        List<TextEvent> events = new ArrayList<>();
        for (int c = 1; c <= chunks; c++) {
            for (int s = 0; s < streams; s++) {
                StringBuilder text = new StringBuilder();
                for (int w = 2 + random.nextInt(5); w > 0; w--) {
                    text.append(WORDS[random.nextInt(WORDS.length)]);
                }
                events.add(TextEvent.newBuilder().setStreamId("stream-" + s).setSequenceNumber(c)
                        .setText(text.toString()).setEventTime(Instant.ofEpochMilli(1_750_000_000_000L + c))
                        .setStartsDocument(c == 1 || random.nextInt(15) == 0).setFeatures(null).build());
                if (c > 3 && random.nextInt(20) == 0) {
                    events.add(events.get(events.size() - 1 - random.nextInt(2 * streams) - 1)); // a replay
                }
            }
        }
        return new TrainingInput(events);
    }

    /** Every record in the order it is sent, replays included. */
    List<TextEvent> records() {
        return records;
    }

    /** How many of the first {@code n} records are chunks a job accepts (not replays). */
    int acceptedAmongFirst(int n) {
        return acceptedAmongFirst[n];
    }

    /** The chunks a job accepts (not replays), with each one's byte position: its stream's bytes up to its end. */
    Map<Key, Long> bytePositions() {
        return bytePositions;
    }

    /**
     * Windows of {@code window + 1} tokens a job trains on this input, consecutive windows of a stream sharing one
     * token: {@code floor((n - 1) / T)} for a stream of {@code n} tokens.
     */
    long windows(int window) {
        return windows(window, records.size());
    }

    /** The windows the first {@code n} records make. */
    long windows(int window, int n) {
        Map<String, Long> tokensPerStream = new HashMap<>();
        for (int i = 0; i < n; i++) {
            tokensPerStream.put(records.get(i).getStreamId(), streamTokensAfter[i]);
        }
        return tokensPerStream.values().stream().mapToLong(tokens -> tokens > window ? (tokens - 1) / window : 0)
                .sum();
    }

    /** Tokens predicted in those windows: {@code T} a window. */
    long tokens(int window) {
        return windows(window) * window;
    }
}
