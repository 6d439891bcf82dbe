package dev.streaminglstm.job.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.job.output.DeadLetterBudget;
import dev.streaminglstm.job.output.DeadLetterSerializer;
import dev.streaminglstm.registry.SchemaRegistryServer;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.SchemaHistory;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.schema.wire.Encoding;
import dev.streaminglstm.schema.wire.ValueFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.flink.api.common.functions.util.ListCollector;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class InputRecordDeserializerTest {

    private static final String TOPIC = "text-in";
    private static final Instant EVENT_TIME = Instant.ofEpochMilli(1_700_000_000_123L);
    /** ASCII text whose encoded bytes tests overwrite with invalid UTF-8 of the same length. */
    private static final String PLACEHOLDER = "@@@@";

    /** The registry of the CONFLUENT cases. */
    private static SchemaRegistryServer registry;

    private final InputRecordDeserializer plain = new InputRecordDeserializer(1024, 0);
    private final InputRecordDeserializer conditioned = new InputRecordDeserializer(1024, 3);

    private static TextEvent event(String streamId, String text, List<Float> features) {
        return TextEvent.newBuilder()
                .setStreamId(streamId)
                .setSequenceNumber(7)
                .setText(text)
                .setEventTime(EVENT_TIME)
                .setStartsDocument(true)
                .setFeatures(features)
                .build();
    }

    private static ConsumerRecord<byte[], byte[]> record(byte[] key, byte[] value) {
        return new ConsumerRecord<>(TOPIC, 2, 41L, 1_700_000_000_999L, TimestampType.CREATE_TIME,
                key == null ? -1 : key.length, value == null ? -1 : value.length, key, value, new RecordHeaders(),
                Optional.empty());
    }

    private static ConsumerRecord<byte[], byte[]> record(TextEvent event) {
        return record(WireFormat.key(event.getStreamId()), WireFormat.value(event));
    }

    /** The encoding of an event whose text bytes are replaced by {@code textBytes} (4 bytes, any content). */
    private static byte[] withRawText(String streamId, byte[] textBytes) {
        byte[] value = WireFormat.value(event(streamId, PLACEHOLDER, null));
        byte[] placeholder = PLACEHOLDER.getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(value, placeholder);
        System.arraycopy(textBytes, 0, value, at, placeholder.length);
        return value;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        throw new AssertionError("placeholder not in the encoding");
    }

    private static DeadLetter rejected(InputRecordDeserializer deserializer, ConsumerRecord<byte[], byte[]> record) {
        InputRecord result;
        try {
            result = deserializer.classify(record);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(result.isValid()).as("record should be rejected: %s", result).isFalse();
        assertThat(result.getEvent()).isNull();
        return result.getDeadLetter();
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain ascii", "Grüße aus Köln – ½ €", "日本語のテキスト", "emoji 😀🚀 and \u0000 nul", ""})
    void aGoodRecordPassesUnchanged(String text) throws IOException {
        TextEvent sent = event("doc-1", text, null);
        List<InputRecord> out = new ArrayList<>();

        plain.deserialize(record(sent), new ListCollector<>(out));

        assertThat(out).containsExactly(InputRecord.valid(sent));
        assertThat(out.get(0).getDeadLetter()).isNull();
        assertThat(out.get(0).getEvent().getText()).isEqualTo(text);
    }

    @Test
    void aGoodRecordWithFeaturesOfTheConditioningSizePasses() throws IOException {
        TextEvent sent = event("img-3", "caption", List.of(0.5f, -1f, 3e-7f));

        assertThat(conditioned.classify(record(sent))).isEqualTo(InputRecord.valid(sent));
    }

    static Stream<Arguments> notTextEvents() {
        byte[] good = WireFormat.value(event("doc-1", "hello", null));
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        byte[] hugeLength = Arrays.copyOf(good, 16);
        hugeLength[10] = (byte) 0xFE; // stream id length: a varint of about 2^31, far beyond the value
        hugeLength[11] = (byte) 0xFF;
        hugeLength[12] = (byte) 0xFF;
        hugeLength[13] = (byte) 0xFF;
        hugeLength[14] = (byte) 0x0F;
        byte[] features = WireFormat.value(event("doc-1", "hello", List.of()));
        // the empty array ends the value: union branch 1, then the end-of-array block count 0
        byte[] minimumBlock = Arrays.copyOf(features, features.length + 11);
        byte[] minimumCount = HexFormat.of().parseHex("FFFFFFFFFFFFFFFFFF01"); // zig-zag Long.MIN_VALUE
        System.arraycopy(minimumCount, 0, minimumBlock, features.length - 1, minimumCount.length);
        minimumBlock[minimumBlock.length - 2] = 0; // the block's byte size, which a negative count announces
        minimumBlock[minimumBlock.length - 1] = 0; // end of the array
        return Stream.of(
                Arguments.of("no value", null, "record has no value (a tombstone)"),
                Arguments.of("plain text", "hello world".getBytes(StandardCharsets.UTF_8),
                        "not a TextEvent: value starts with 68 65, not the Avro single-object marker C3 01"),
                Arguments.of("too short", new byte[] {(byte) 0xC3, 0x01, 0},
                        "not a TextEvent: value has 3 bytes, fewer than a single-object encoding header"),
                Arguments.of("cut short", Arrays.copyOf(good, good.length - 3), "runs past the end of the value"),
                Arguments.of("trailing byte", trailing, "not a TextEvent: 1 bytes follow the end of the TextEvent"),
                Arguments.of("huge length", hugeLength, "field 'streamId' runs past the end of the value"),
                Arguments.of("array block of -2^63 items", minimumBlock, "field 'features' claims"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notTextEvents")
    void aValueThatIsNotATextEventIsBadAvro(String kind, byte[] value, String reason) {
        DeadLetter dead = rejected(plain, record("doc-1".getBytes(StandardCharsets.UTF_8), value));

        assertThat(dead.getReasonCode()).isEqualTo(RejectReason.BAD_AVRO.name());
        assertThat(dead.getReason()).contains(reason);
    }

    @Test
    void aValueOfAnotherSchemaIsAnUnknownSchemaThatNamesItsFingerprint() {
        byte[] prediction = WireFormat.value(Prediction.newBuilder().setStreamId("doc-1").setSequenceNumber(1)
                .setBytePosition(5).setStatus(PredictionStatus.NO_MODEL).setEventTime(EVENT_TIME).build());

        DeadLetter dead = rejected(plain, record("doc-1".getBytes(StandardCharsets.UTF_8), prediction));

        assertThat(dead.getReasonCode()).isEqualTo(RejectReason.UNKNOWN_SCHEMA.name());
        assertThat(dead.getReason()).startsWith(String.format("schema fingerprint %016X is none of the 1 TextEvent"
                + " schemas this job knows", SchemaHistory.fingerprint(Prediction.getClassSchema())))
                .contains("deploy the job with that schema first");
    }

    @Test
    void aTombstoneWithoutKeyIsADeadLetterWithNeither() {
        DeadLetter dead = rejected(plain, record(null, null));

        assertThat(dead.getReasonCode()).isEqualTo(RejectReason.BAD_AVRO.name());
        assertThat(dead.getKey()).isNull();
        assertThat(dead.getValue()).isNull();
        assertThat(dead.getOriginalKeySize()).isNull();
        assertThat(dead.getOriginalValueSize()).isNull();
        assertThat(dead.getTruncated()).isFalse();
        assertThat(decode(WireFormat.value(dead))).isEqualTo(dead);
    }

    /** For each reason, a record whose dead letter would not fit a budget of the smallest size if it were whole. */
    static Stream<Arguments> recordsTooBigForTheirDeadLetter() {
        int big = DeadLetterBudget.MIN_RECORD_BYTES;
        String longText = "x".repeat(big);
        String longId = "s".repeat(big / 2);
        byte[] badUtf8 = WireFormat.value(event("doc-1", longText + PLACEHOLDER, null));
        badUtf8[indexOf(badUtf8, PLACEHOLDER.getBytes(StandardCharsets.US_ASCII))] = (byte) 0xFF;
        byte[] unknown = WireFormat.value(event("doc-1", longText, null));
        unknown[5] ^= 0x5A; // in the fingerprint
        byte[] garbage = new byte[big + 500];
        new Random(3).nextBytes(garbage);
        garbage[0] = 'g';
        return Stream.of(
                Arguments.of(RejectReason.TOO_LARGE, WireFormat.key("doc-1"),
                        WireFormat.value(event("doc-1", "y".repeat(3 * big), null))),
                Arguments.of(RejectReason.BAD_AVRO, WireFormat.key("doc-1"), garbage),
                Arguments.of(RejectReason.UNKNOWN_SCHEMA, WireFormat.key("doc-1"), unknown),
                Arguments.of(RejectReason.INVALID_UTF8, WireFormat.key("doc-1"), badUtf8),
                Arguments.of(RejectReason.MISSING_STREAM_ID, null, WireFormat.value(event("doc-1", longText, null))),
                Arguments.of(RejectReason.KEY_MISMATCH, WireFormat.key(longId + "!"),
                        WireFormat.value(event(longId, "text", null))),
                Arguments.of(RejectReason.BAD_FEATURES, WireFormat.key("doc-1"),
                        WireFormat.value(event("doc-1", longText, List.of(1f)))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recordsTooBigForTheirDeadLetter")
    void everyDeadLetterFitsItsBudgetKeepingTheFirstBytesAndTheOriginalSizes(RejectReason reason, byte[] key,
            byte[] value) {
        DeadLetterBudget budget = new DeadLetterBudget(DeadLetterBudget.MIN_RECORD_BYTES);
        InputRecordDeserializer deserializer = new InputRecordDeserializer(2 * DeadLetterBudget.MIN_RECORD_BYTES, 0,
                budget, ValueFormat.singleObject());
        assertThat(DeadLetterBudget.recordBytes(DeadLetter.newBuilder().setTopic(TOPIC).setPartition(0).setOffset(0)
                .setKey(key == null ? null : ByteBuffer.wrap(key)).setValue(ByteBuffer.wrap(value)).setReason("")
                .build())).as("the whole record would not fit").isGreaterThan(budget.maxRecordBytes());

        DeadLetter dead = rejected(deserializer, record(key, value));
        ProducerRecord<byte[], byte[]> written = new DeadLetterSerializer("text-dlq", budget, ValueFormat.singleObject())
                .serialize(dead, null, 1L);

        assertThat(dead.getReasonCode()).isEqualTo(reason.name());
        assertThat(dead.getReason()).hasSizeLessThan(400);
        assertThat(dead.getTruncated()).isTrue();
        assertThat(DeadLetterBudget.recordBytes(dead)).isLessThanOrEqualTo(budget.maxRecordBytes());
        assertThat(DeadLetterBudget.KAFKA_RECORD_OVERHEAD + (written.key() == null ? 0 : written.key().length)
                + written.value().length).isLessThanOrEqualTo(budget.maxRecordBytes());
        assertThat(decode(written.value())).isEqualTo(dead);
        assertThat(dead.getOriginalValueSize()).isEqualTo(value.length);
        byte[] kept = WireFormat.bytes(dead.getValue());
        assertThat(kept).hasSizeGreaterThan(budget.maxRecordBytes() / 3).isEqualTo(Arrays.copyOf(value, kept.length));
        if (key == null) {
            assertThat(dead.getKey()).isNull();
            assertThat(dead.getOriginalKeySize()).isNull();
        } else {
            assertThat(dead.getOriginalKeySize()).isEqualTo(key.length);
            byte[] keptKey = WireFormat.bytes(dead.getKey());
            assertThat(keptKey).isEqualTo(Arrays.copyOf(key, keptKey.length)).isEqualTo(written.key());
        }
    }

    @Test
    void aKeyMismatchQuotesOnlyTheStartOfALongKeyAndStreamId() {
        String id = "ü".repeat(300);
        DeadLetter dead = rejected(plain, record(WireFormat.key(id + "x"), WireFormat.value(event(id, "t", null))));

        assertThat(dead.getReasonCode()).isEqualTo(RejectReason.KEY_MISMATCH.name());
        String start = "'" + "ü".repeat(InputRecordDeserializer.QUOTED_CHARS) + "…'";
        assertThat(dead.getReason()).isEqualTo("key " + start + " (301 characters) is not the streamId " + start
                + " (300 characters)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"C328FFFE", "C0AF4141", "EDA08041", "414141E2", "F4908080", "41FF4141"})
    void invalidUtf8InTheTextIsRejectedNotReplaced(String hex) {
        byte[] value = withRawText("doc-1", HexFormat.of().parseHex(hex));

        DeadLetter dead = rejected(plain, record("doc-1".getBytes(StandardCharsets.UTF_8), value));

        assertThat(dead.getReasonCode()).isEqualTo(RejectReason.INVALID_UTF8.name());
        assertThat(dead.getReason()).startsWith("field 'text' is not valid UTF-8");
        assertThat(dead.getValue().array()).isEqualTo(value);
    }

    @Test
    void invalidUtf8InTheStreamIdIsRejected() {
        byte[] value = WireFormat.value(event("ab", "text", null));
        value[11] = (byte) 0xFF; // first byte of the stream id, after the header and its length
        DeadLetter dead = rejected(plain, record(new byte[] {(byte) 0xFF, 'b'}, value));

        assertThat(dead.getReasonCode()).isEqualTo(RejectReason.INVALID_UTF8.name());
        assertThat(dead.getReason()).isEqualTo("field 'streamId' is not valid UTF-8: byte FF at byte 0 of its 2");
    }

    @Test
    void aValueOverTheMaximumIsTooLargeWhateverItHolds() {
        TextEvent big = event("doc-1", "x".repeat(2000), null);
        DeadLetter dead = rejected(plain, record(big));

        assertThat(dead.getReasonCode()).isEqualTo(RejectReason.TOO_LARGE.name());
        assertThat(dead.getReason()).isEqualTo("value has " + WireFormat.value(big).length
                + " bytes, more than the maximum of 1024");
        assertThat(WireFormat.bytes(dead.getValue())).as("kept whole: it fits").isEqualTo(WireFormat.value(big));
    }

    @Test
    void aBlankStreamIdOrAMissingKeyIsAMissingStreamId() {
        assertThat(rejected(plain, record(new byte[0], WireFormat.value(event("", "t", null)))).getReason())
                .isEqualTo("streamId is empty or blank");
        assertThat(rejected(plain, record(WireFormat.key(" \t"), WireFormat.value(event(" \t", "t", null))))
                .getReasonCode()).isEqualTo(RejectReason.MISSING_STREAM_ID.name());
        DeadLetter noKey = rejected(plain, record(null, WireFormat.value(event("doc-1", "t", null))));
        assertThat(noKey.getReasonCode()).isEqualTo(RejectReason.MISSING_STREAM_ID.name());
        assertThat(noKey.getReason()).isEqualTo("record has no key; it must be the streamId");
        assertThat(noKey.getKey()).isNull();
    }

    @Test
    void aKeyThatIsNotTheStreamIdIsAKeyMismatch() {
        DeadLetter dead = rejected(plain, record(WireFormat.key("doc-2"), WireFormat.value(event("doc-1", "t", null))));

        assertThat(dead.getReasonCode()).isEqualTo(RejectReason.KEY_MISMATCH.name());
        assertThat(dead.getReason()).isEqualTo("key 'doc-2' is not the streamId 'doc-1'");
    }

    static Stream<Arguments> badFeatures() {
        return Stream.of(
                Arguments.of(0, List.of(1f), "record has 1 features but the model takes none"),
                Arguments.of(0, List.of(), "record has 0 features but the model takes none"),
                Arguments.of(3, null, "record has 0 features but the conditioning size is 3"),
                Arguments.of(3, List.of(1f, 2f), "record has 2 features but the conditioning size is 3"),
                Arguments.of(3, List.of(1f, 2f, 3f, 4f), "record has 4 features but the conditioning size is 3"),
                Arguments.of(3, List.of(1f, Float.NaN, 3f), "feature 1 is NaN"),
                Arguments.of(3, List.of(1f, 2f, Float.NEGATIVE_INFINITY), "feature 2 is -Infinity"));
    }

    @ParameterizedTest
    @MethodSource("badFeatures")
    void featuresMustMatchTheConditioningSizeAndBeFinite(int conditioningSize, List<Float> features, String reason) {
        InputRecordDeserializer deserializer = new InputRecordDeserializer(1024, conditioningSize);

        DeadLetter dead = rejected(deserializer, record(event("doc-1", "t", features)));

        assertThat(dead.getReasonCode()).isEqualTo(RejectReason.BAD_FEATURES.name());
        assertThat(dead.getReason()).isEqualTo(reason);
    }

    @Test
    void aDeadLetterKeepsTheRawRecordAndWhereItCameFrom() {
        byte[] key = WireFormat.key("doc-2");
        byte[] value = WireFormat.value(event("doc-1", "t", null));
        Instant before = Instant.now();

        DeadLetter dead = rejected(plain, record(key, value));

        assertThat(dead.getTopic()).isEqualTo(TOPIC);
        assertThat(dead.getPartition()).isEqualTo(2);
        assertThat(dead.getOffset()).isEqualTo(41L);
        assertThat(dead.getRecordTimestamp()).isEqualTo(1_700_000_000_999L);
        assertThat(WireFormat.bytes(dead.getKey())).isEqualTo(key);
        assertThat(WireFormat.bytes(dead.getValue())).isEqualTo(value);
        assertThat(dead.getTruncated()).isFalse();
        assertThat(dead.getOriginalKeySize()).isEqualTo(key.length);
        assertThat(dead.getOriginalValueSize()).isEqualTo(value.length);
        assertThat(dead.getRejectedAt()).isBetween(before.minusMillis(1), Instant.now().plusMillis(1));
        DeadLetter decoded = decode(WireFormat.value(dead));
        assertThat(decoded).isEqualTo(dead);
    }

    @Test
    void inputRecordsAreFlinkPojosWithAvroFieldsAndSurviveTheirSerializer() throws Exception {
        TypeInformation<InputRecord> type = plain.getProducedType();
        assertThat(type).isInstanceOf(PojoTypeInfo.class);
        PojoTypeInfo<InputRecord> pojo = (PojoTypeInfo<InputRecord>) type;
        assertThat(pojo.getTypeAt("event")).isInstanceOf(AvroTypeInfo.class);
        assertThat(pojo.getTypeAt("deadLetter")).isInstanceOf(AvroTypeInfo.class);

        TypeSerializer<InputRecord> serializer = type.createSerializer(new SerializerConfigImpl());
        InputRecord valid = plain.classify(record(event("doc-1", "Grüße 😀", null)));
        InputRecord dead = plain.classify(record(WireFormat.key("x"), WireFormat.value(event("doc-1", "t", null))));
        for (InputRecord original : List.of(valid, dead)) {
            DataOutputSerializer out = new DataOutputSerializer(256);
            serializer.serialize(original, out);
            InputRecord copy = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
            assertThat(copy).isEqualTo(original);
        }
    }

    private static DeadLetter decode(byte[] value) {
        try {
            return DeadLetter.getDecoder().decode(value);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @BeforeAll
    static void startRegistry() throws IOException {
        registry = SchemaRegistryServer.start();
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    private static ValueFormat format(Encoding encoding) {
        return encoding == Encoding.CONFLUENT ? ValueFormat.confluent(registry.confluentUrl())
                : ValueFormat.singleObject();
    }

    private static InputRecordDeserializer deserializer(ValueFormat format) {
        return new InputRecordDeserializer(1024, 0, DeadLetterBudget.kafkaDefault(), format);
    }

    private static byte[] encoded(Encoding encoding, TextEvent event) throws Exception {
        return format(encoding).encoder(TextEvent.class, TOPIC).encode(event);
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void aGoodRecordPassesInEitherEncoding(Encoding encoding) throws Exception {
        TextEvent sent = event("doc-1", "Grüße 😀", null);

        InputRecord result = deserializer(format(encoding)).classify(record(WireFormat.key("doc-1"),
                encoded(encoding, sent)));

        assertThat(result).isEqualTo(InputRecord.valid(sent));
    }

    /** Bytes of a TextEvent in {@code encoding} spoiled one way, and the reason their dead letter must carry. */
    static Stream<Arguments> spoiledValues() {
        return Stream.of(Encoding.values()).flatMap(encoding -> Stream.of(
                Arguments.of(encoding, "bad magic", RejectReason.BAD_AVRO),
                Arguments.of(encoding, "cut in the header", RejectReason.BAD_AVRO),
                Arguments.of(encoding, "cut in the body", RejectReason.BAD_AVRO),
                Arguments.of(encoding, "unknown schema", RejectReason.UNKNOWN_SCHEMA),
                Arguments.of(encoding, "a Prediction", RejectReason.UNKNOWN_SCHEMA),
                Arguments.of(encoding, "invalid UTF-8", RejectReason.INVALID_UTF8)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("spoiledValues")
    void aSpoiledValueIsADeadLetterWithItsReasonInEitherEncoding(Encoding encoding, String spoil, RejectReason reason)
            throws Exception {
        byte[] value = spoiled(encoding, spoil);

        DeadLetter dead = rejected(deserializer(format(encoding)), record(WireFormat.key("doc-1"), value));

        assertThat(dead.getReasonCode()).as(dead.getReason()).isEqualTo(reason.name());
        assertThat(dead.getValue()).isEqualTo(ByteBuffer.wrap(value));
    }

    private static byte[] spoiled(Encoding encoding, String spoil) throws Exception {
        byte[] good = encoded(encoding, event("doc-1", PLACEHOLDER, null));
        switch (spoil) {
            case "bad magic" -> good[0] ^= 0x5A;
            case "cut in the header" -> good = Arrays.copyOf(good, encoding.headerBytes() - 1);
            case "cut in the body" -> good = Arrays.copyOf(good, good.length - 3);
            case "unknown schema" -> {
                good[3] ^= 0x5A; // in the fingerprint, or the id's second byte: an id no registry has yet
            }
            case "a Prediction" -> good = format(encoding).encoder(Prediction.class, "predictions")
                    .encode(Prediction.newBuilder().setStreamId("doc-1").setSequenceNumber(1).setBytePosition(5)
                            .setStatus(PredictionStatus.NO_MODEL).setEventTime(EVENT_TIME).build());
            case "invalid UTF-8" -> good[indexOf(good, PLACEHOLDER.getBytes(StandardCharsets.US_ASCII))] = (byte) 0xFF;
            default -> throw new IllegalArgumentException(spoil);
        }
        return good;
    }

    @Test
    void aRegistryThatCannotBeAskedFailsTheRecordInsteadOfDeadLetteringIt() throws Exception {
        byte[] good = encoded(Encoding.CONFLUENT, event("doc-1", "hello", null));
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        InputRecordDeserializer cutOff = deserializer(ValueFormat.confluent("http://127.0.0.1:" + closedPort));

        assertThatThrownBy(() -> cutOff.deserialize(record(WireFormat.key("doc-1"), good),
                new ListCollector<>(new ArrayList<>())))
                .isInstanceOf(IOException.class).hasMessageContaining("127.0.0.1:" + closedPort);
    }
}
