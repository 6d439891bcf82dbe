package dev.streaminglstm.job.input;

import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.WireFormat;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Input records from a seed: valid chunks of a few text streams, replays of them, and every kind of bad record a
 * producer or a broken network could write, each with what the job must make of it. Bad records built from an
 * event use a stream of their own, so none of them could hide a valid chunk if one were let through.
 */
final class InputFuzzer {

    /** A record's kind and what the job must do with it: train it, drop it as a replay, or give a reason. */
    enum Kind {
        VALID(null, 40),
        DUPLICATE(null, 8),
        REPLAY(null, 8),
        RANDOM_BYTES(RejectReason.BAD_AVRO, 120),
        TOMBSTONE(RejectReason.BAD_AVRO, 20),
        HEADER_BIT_FLIP(RejectReason.BAD_AVRO, 60),
        TRUNCATED(RejectReason.BAD_AVRO, 120),
        TRAILING_BYTES(RejectReason.BAD_AVRO, 40),
        FINGERPRINT_BIT_FLIP(RejectReason.UNKNOWN_SCHEMA, 60),
        UNKNOWN_FINGERPRINT(RejectReason.UNKNOWN_SCHEMA, 60),
        TEXT_BIT_FLIP(RejectReason.INVALID_UTF8, 80),
        INVALID_UTF8(RejectReason.INVALID_UTF8, 60),
        OVERSIZE_EVENT(RejectReason.TOO_LARGE, 30),
        OVERSIZE_BYTES(RejectReason.TOO_LARGE, 30),
        MISSING_KEY(RejectReason.MISSING_STREAM_ID, 50),
        BLANK_STREAM_ID(RejectReason.MISSING_STREAM_ID, 30),
        KEY_MISMATCH(RejectReason.KEY_MISMATCH, 70),
        FEATURES(RejectReason.BAD_FEATURES, 40);

        /** The dead letter's reason, or null for a record that is no dead letter. */
        final RejectReason reason;
        /** How often, relative to the other kinds, the generator makes it. */
        final int weight;

        Kind(RejectReason reason, int weight) {
            this.reason = reason;
            this.weight = weight;
        }
    }

    /** One record to send, and its kind. */
    record Fuzzed(Kind kind, byte[] key, byte[] value, TextEvent event) {}

    private static final String[] WORDS = {"alpha ", "beta ", "gamma ", "delta ", "stream ", "lstm ", "kafka ",
        "flink ", "token ", "window ", "the ", "of ", "and "};
    private static final String BAD_STREAM = "bad-records";
    private static final Instant EVENT_TIME = Instant.ofEpochMilli(1_750_000_000_000L);
    /** Header (2 bytes) and schema fingerprint (8 bytes) of a single-object encoded value. */
    private static final int HEADER = 2;
    private static final int PREFIX = 10;

    private final Random random;
    private final int maxRecordBytes;
    private final String[] streams;
    private final TextEvent[] lastSent;
    private final int totalWeight = Arrays.stream(Kind.values()).mapToInt(k -> k.weight).sum();
    private long badSequence;

    InputFuzzer(long seed, int streamCount, int maxRecordBytes) {
        this.random = new Random(seed);
        this.maxRecordBytes = maxRecordBytes;
        this.streams = new String[streamCount];
        for (int i = 0; i < streamCount; i++) {
            streams[i] = "fuzz-" + i;
        }
        this.lastSent = new TextEvent[streamCount];
    }

    /** The next {@code count} records. */
    List<Fuzzed> next(int count) {
        List<Fuzzed> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            records.add(next());
        }
        return records;
    }

    Fuzzed next() {
        Kind kind = pick();
        return switch (kind) {
            case VALID -> valid();
            case DUPLICATE, REPLAY -> replay(kind);
            case RANDOM_BYTES -> bad(kind, key(), randomBytes(1 + random.nextInt(300)));
            case TOMBSTONE -> bad(kind, key(), null);
            case HEADER_BIT_FLIP -> bad(kind, key(), flipBit(encoded(badEvent()), 0, HEADER));
            case TRUNCATED -> truncated();
            case TRAILING_BYTES -> bad(kind, key(), concat(encoded(badEvent()), randomBytes(1 + random.nextInt(8))));
            case FINGERPRINT_BIT_FLIP -> bad(kind, key(), flipBit(encoded(badEvent()), HEADER, PREFIX));
            case UNKNOWN_FINGERPRINT -> unknownFingerprint();
            case TEXT_BIT_FLIP -> textBitFlip();
            case INVALID_UTF8 -> invalidUtf8();
            case OVERSIZE_EVENT -> bad(kind, key(), encoded(event(BAD_STREAM, ++badSequence,
                    "x".repeat(maxRecordBytes + random.nextInt(maxRecordBytes)), false)));
            case OVERSIZE_BYTES -> bad(kind, key(), randomBytes(maxRecordBytes + 1 + random.nextInt(maxRecordBytes)));
            case MISSING_KEY -> bad(kind, random.nextBoolean() ? null : new byte[0], encoded(badEvent()));
            case BLANK_STREAM_ID -> bad(kind, WireFormat.key(" "), encoded(event(" ", ++badSequence, text(), false)));
            case KEY_MISMATCH -> bad(kind, WireFormat.key(streams[random.nextInt(streams.length)]),
                    encoded(badEvent()));
            case FEATURES -> bad(kind, key(), encoded(TextEvent.newBuilder(badEvent())
                    .setFeatures(List.of(random.nextFloat())).build()));
        };
    }

    private Kind pick() {
        int r = random.nextInt(totalWeight);
        for (Kind kind : Kind.values()) {
            r -= kind.weight;
            if (r < 0) {
                return kind;
            }
        }
        throw new AssertionError();
    }

    /** The next chunk of a stream; its first chunk starts a document. */
    private Fuzzed valid() {
        int s = random.nextInt(streams.length);
        long sequence = lastSent[s] == null ? 1 : lastSent[s].getSequenceNumber() + 1;
        TextEvent event = event(streams[s], sequence, text(), sequence == 1);
        lastSent[s] = event;
        return new Fuzzed(Kind.VALID, WireFormat.key(event.getStreamId()), encoded(event), event);
    }

    /** A stream's last chunk again (DUPLICATE), or an older sequence number with other text (REPLAY). */
    private Fuzzed replay(Kind kind) {
        int s = random.nextInt(streams.length);
        if (lastSent[s] == null) {
            return valid();
        }
        TextEvent last = lastSent[s];
        TextEvent event = kind == Kind.DUPLICATE ? last
                : event(last.getStreamId(), 1 + (long) random.nextInt((int) last.getSequenceNumber()), text(), false);
        return new Fuzzed(kind, WireFormat.key(event.getStreamId()), encoded(event), event);
    }

    private Fuzzed truncated() {
        byte[] whole = encoded(badEvent());
        return bad(Kind.TRUNCATED, key(), Arrays.copyOf(whole, random.nextInt(whole.length)));
    }

    private Fuzzed unknownFingerprint() {
        byte[] value = encoded(badEvent());
        byte[] fingerprint = randomBytes(PREFIX - HEADER);
        System.arraycopy(fingerprint, 0, value, HEADER, fingerprint.length);
        return bad(Kind.UNKNOWN_FINGERPRINT, key(), value);
    }

    /** Bit 7 of an ASCII byte of the text: a lone lead or continuation byte, never valid UTF-8. */
    private Fuzzed textBitFlip() {
        TextEvent event = badEvent();
        byte[] value = encoded(event);
        int at = textOffset(value, event) + random.nextInt(event.getText().length());
        value[at] ^= (byte) 0x80;
        return bad(Kind.TEXT_BIT_FLIP, key(), value);
    }

    private Fuzzed invalidUtf8() {
        TextEvent event = badEvent();
        byte[] value = encoded(event);
        int at = textOffset(value, event) + random.nextInt(event.getText().length() - 1);
        value[at] = (byte) 0xC3; // a two-byte lead followed by '(' (not a continuation byte)
        value[at + 1] = (byte) '(';
        return bad(Kind.INVALID_UTF8, key(), value);
    }

    private Fuzzed bad(Kind kind, byte[] key, byte[] value) {
        return new Fuzzed(kind, key, value, null);
    }

    private static int textOffset(byte[] value, TextEvent event) {
        int at = new String(value, StandardCharsets.ISO_8859_1).indexOf(event.getText(), PREFIX);
        if (at < 0) {
            throw new AssertionError("text not found in its encoding");
        }
        return at;
    }

    private byte[] flipBit(byte[] value, int from, int to) {
        int at = from + random.nextInt(to - from);
        value[at] ^= (byte) (1 << random.nextInt(8));
        return value;
    }

    /** Random bytes that do not start as a single-object encoded value does (0xC3). */
    private byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        if (bytes[0] == (byte) 0xC3) {
            bytes[0] = 0;
        }
        return bytes;
    }

    private TextEvent badEvent() {
        return event(BAD_STREAM, ++badSequence, text(), random.nextBoolean());
    }

    private static byte[] key() {
        return WireFormat.key(BAD_STREAM);
    }

    private String text() {
        StringBuilder text = new StringBuilder();
        for (int w = 2 + random.nextInt(5); w > 0; w--) {
            text.append(WORDS[random.nextInt(WORDS.length)]);
        }
        return text.toString();
    }

    private static TextEvent event(String streamId, long sequence, String text, boolean startsDocument) {
        return TextEvent.newBuilder().setStreamId(streamId).setSequenceNumber(sequence).setText(text)
                .setEventTime(EVENT_TIME).setStartsDocument(startsDocument).setFeatures(null).build();
    }

    private static byte[] encoded(TextEvent event) {
        return WireFormat.value(event);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
