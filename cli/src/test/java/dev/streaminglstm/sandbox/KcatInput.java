package dev.streaminglstm.sandbox;

import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.WireFormat;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * What the test writes into the sandbox with kcat: seeded garbage of every kind a person might send (each with the
 * dead-letter reason the job must give it) among real text of its own streams, and the file kcat reads them from:
 * records separated by {@link #RECORD_END}, each {@code key}{@link #KEY_END}{@code value}, or only a value for a
 * record without a key.
 */
final class KcatInput {

    static final String RECORD_END = "~~record-end-5f0c1e~~";
    static final String KEY_END = "~~key-end-5f0c1e~~";

    /** A kind of bad record and the reason code its dead letter must carry. */
    enum Kind {
        RANDOM_BYTES("BAD_AVRO"),
        EMPTY("BAD_AVRO"),
        TRUNCATED_AVRO("BAD_AVRO"),
        WRONG_SCHEMA("UNKNOWN_SCHEMA"),
        INVALID_UTF8("INVALID_UTF8"),
        NO_KEY("MISSING_STREAM_ID");

        final String reasonCode;

        Kind(String reasonCode) {
            this.reasonCode = reasonCode;
        }
    }

    /** One record; {@code kind} is null for good text, {@code key} null for none. */
    record Record(byte[] key, byte[] value, Kind kind, String stream, long sequenceNumber) {
        boolean good() {
            return kind == null;
        }
    }

    private static final String MARKER = "\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008";
    private static final byte[] INVALID_UTF8 = {(byte) 0xC3, 0x28, (byte) 0xA0, (byte) 0xA1, (byte) 0xE2, 0x28,
        (byte) 0xA1, (byte) 0xFF};
    private static final String WORDS = "the model reads every stream as it comes and learns to guess what follows "
            + "der Text fließt weiter och modellen lär sig medan texten strömmar förbi ";

    private final Random random;
    private final List<Record> records = new ArrayList<>();

    private KcatInput(long seed) {
        this.random = new Random(seed);
    }

    /**
     * {@code bad} bad records, the kinds in turn, among {@code good} records of real text on streams {@code
     * kcat-0 .. kcat-<streams-1>}, shuffled; each stream's good records keep their order and number from 0. A
     * quarter of the random bytes carry a key of the sandbox's own streams ({@code doc-0 .. doc-3}), whose input the
     * sandbox's monitor reads.
     */
    static List<Record> mixed(long seed, int bad, int good, int streams) {
        KcatInput input = new KcatInput(seed);
        Kind[] kinds = Kind.values();
        for (int i = 0; i < bad; i++) {
            input.records.add(input.bad(kinds[i % kinds.length], i));
        }
        for (int i = 0; i < good; i++) {
            input.records.add(null); // a place for good text, filled below in order
        }
        Collections.shuffle(input.records, input.random);
        long[] next = new long[streams];
        for (int i = 0; i < input.records.size(); i++) {
            if (input.records.get(i) == null) {
                int stream = input.random.nextInt(streams);
                input.records.set(i, input.good("kcat-" + stream, next[stream]++));
            }
        }
        return input.records;
    }

    /** Random bytes, some keyed with the sandbox's own streams: garbage for the prediction topic. */
    static List<Record> randomValues(long seed, int count) {
        KcatInput input = new KcatInput(seed);
        List<Record> values = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            values.add(input.bad(Kind.RANDOM_BYTES, i));
        }
        return values;
    }

    /** The bytes kcat reads: {@code kcat -P -D RECORD_END -K KEY_END}. */
    static byte[] kcatFile(List<Record> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Record r : records) {
            if (r.key() != null) {
                out.writeBytes(r.key());
                out.writeBytes(KEY_END.getBytes(StandardCharsets.US_ASCII));
            }
            out.writeBytes(r.value());
            out.writeBytes(RECORD_END.getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    private Record good(String stream, long sequenceNumber) {
        TextEvent event = event(stream, sequenceNumber, text());
        return new Record(WireFormat.key(stream), WireFormat.value(event), null, stream, sequenceNumber);
    }

    private Record bad(Kind kind, int i) {
        String stream = "kcat-bad-" + i;
        byte[] key = WireFormat.key(stream);
        byte[] value = switch (kind) {
            case RANDOM_BYTES -> {
                if (i % 4 == 0) {
                    key = WireFormat.key("doc-" + (i / 4) % 4);
                }
                yield randomBytes(1 + random.nextInt(200));
            }
            case EMPTY -> new byte[0];
            case TRUNCATED_AVRO -> {
                byte[] whole = WireFormat.value(event(stream, i, text()));
                yield Arrays.copyOf(whole, 1 + random.nextInt(whole.length - 1));
            }
            case WRONG_SCHEMA -> WireFormat.value(prediction(stream, i));
            case INVALID_UTF8 -> invalidUtf8(event(stream, i, MARKER + text()));
            case NO_KEY -> {
                key = null;
                yield WireFormat.value(event(stream, i, text()));
            }
        };
        return new Record(key, value, kind, stream, i);
    }

    /** Random bytes that are neither Avro's single-object marker nor hold a delimiter of the kcat file. */
    private byte[] randomBytes(int length) {
        while (true) {
            byte[] bytes = new byte[length];
            random.nextBytes(bytes);
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            if (bytes[0] != (byte) 0xC3 && !text.contains(RECORD_END) && !text.contains(KEY_END)) {
                return bytes;
            }
        }
    }

    /** The event's encoding with the marker's bytes in its text replaced by bytes that are not UTF-8. */
    private static byte[] invalidUtf8(TextEvent event) {
        byte[] value = WireFormat.value(event);
        byte[] marker = MARKER.getBytes(StandardCharsets.UTF_8);
        for (int at = 0; at + marker.length <= value.length; at++) {
            if (Arrays.equals(value, at, at + marker.length, marker, 0, marker.length)) {
                System.arraycopy(INVALID_UTF8, 0, value, at, INVALID_UTF8.length);
                return value;
            }
        }
        throw new AssertionError("the marker is not in the encoded event");
    }

    private String text() {
        int from = random.nextInt(WORDS.length() - 40);
        return WORDS.substring(from, from + 20 + random.nextInt(20));
    }

    private static TextEvent event(String stream, long sequenceNumber, String text) {
        return TextEvent.newBuilder()
                .setStreamId(stream)
                .setSequenceNumber(sequenceNumber)
                .setText(text)
                .setEventTime(Instant.now())
                .setStartsDocument(sequenceNumber == 0)
                .setFeatures(null)
                .build();
    }

    private static Prediction prediction(String stream, long sequenceNumber) {
        return Prediction.newBuilder()
                .setStreamId(stream)
                .setSequenceNumber(sequenceNumber)
                .setBytePosition(0)
                .setStatus(PredictionStatus.NO_MODEL)
                .setModelVersion(null)
                .setTopK(List.of())
                .setContinuation("")
                .setSurpriseBits(null)
                .setEventTime(Instant.now())
                .setEmittedAt(Instant.now())
                .build();
    }
}
