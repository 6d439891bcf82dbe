package dev.streaminglstm.job.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.schema.SchemaHistory;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.wire.ValueRejected;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

/**
 * Schema evolution of the input: the decoder resolves a value written with any registered writer schema of
 * {@code TextEvent} into the current one, and gives a value of an unknown schema a reason that says what to do.
 */
class StrictTextEventDecoderTest {

    private static final Schema CURRENT = TextEvent.getClassSchema();

    /** A later TextEvent: one more field, with a default, as the rules of the schema history allow. */
    private static final Schema NEWER = withField(CURRENT, CURRENT.getFields().size(),
            new Schema.Field("language", Schema.create(Schema.Type.STRING), "ISO 639 code of the text", "und"));

    /** An earlier TextEvent: without the optional fields {@code startsDocument} and {@code features}. */
    private static final Schema OLDER = withoutFields(CURRENT, "startsDocument", "features");

    private static final Instant EVENT_TIME = Instant.ofEpochMilli(1_700_000_000_123L);

    @Test
    void everyVersionOfTheSchemaHistoryIsKnown() throws Exception {
        StrictTextEventDecoder decoder = new StrictTextEventDecoder();

        assertThat(decoder.knownFingerprints()).containsExactlyElementsOf(
                SchemaHistory.writerSchemas(CURRENT).stream().map(SchemaHistory::fingerprint).toList());
        TextEvent event = TextEvent.newBuilder().setStreamId("doc-1").setSequenceNumber(4).setText("Grüße")
                .setEventTime(EVENT_TIME).setStartsDocument(true).setFeatures(List.of(1f, 2f)).build();
        assertThat(decoder.decode(WireFormat.value(event))).isEqualTo(event);
    }

    @Test
    void aNewerWriterWithAnAddedFieldDecodesOnceRegistered() throws Exception {
        GenericRecord written = record(NEWER, "doc-7", 12, "hello");
        written.put("startsDocument", true);
        written.put("features", List.of(0.5f));
        written.put("language", "de");
        byte[] value = encode(NEWER, written);
        StrictTextEventDecoder decoder = new StrictTextEventDecoder(List.of(CURRENT, NEWER));

        TextEvent event = decoder.decode(value);

        assertThat(event).isEqualTo(TextEvent.newBuilder().setStreamId("doc-7").setSequenceNumber(12)
                .setText("hello").setEventTime(EVENT_TIME).setStartsDocument(true).setFeatures(List.of(0.5f))
                .build());
    }

    @Test
    void anOlderWriterWithoutTheOptionalFieldsDecodesWithTheirDefaults() throws Exception {
        byte[] value = encode(OLDER, record(OLDER, "doc-2", 3, "old text"));
        StrictTextEventDecoder decoder = new StrictTextEventDecoder(List.of(OLDER, CURRENT));

        TextEvent event = decoder.decode(value);

        assertThat(event).isEqualTo(TextEvent.newBuilder().setStreamId("doc-2").setSequenceNumber(3)
                .setText("old text").setEventTime(EVENT_TIME).setStartsDocument(false).setFeatures(null).build());
    }

    @Test
    void theStrictChecksFollowTheWriterSchema() {
        GenericRecord written = record(NEWER, "doc-7", 12, "hello");
        written.put("language", "@@");
        byte[] value = encode(NEWER, written);
        byte[] placeholder = "@@".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(value, placeholder);
        value[at] = (byte) 0xC3; // a lead byte followed by an ASCII byte: not UTF-8
        StrictTextEventDecoder decoder = new StrictTextEventDecoder(List.of(CURRENT, NEWER));

        assertThatThrownBy(() -> decoder.decode(value))
                .isInstanceOfSatisfying(Rejection.class,
                        r -> assertThat(r.reason()).isEqualTo(RejectReason.INVALID_UTF8))
                .hasMessage("field 'language' is not valid UTF-8: byte C3 at byte 0 of its 2");
        byte[] cut = Arrays.copyOf(encode(NEWER, record(NEWER, "doc-7", 12, "hello")), value.length - 3);
        assertThatThrownBy(() -> decoder.decode(cut))
                .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.reason()).isEqualTo(RejectReason.BAD_AVRO))
                .hasMessageContaining("field 'language' runs past the end of the value");
    }

    @Test
    void anUnknownSchemaIsRejectedWithItsFingerprintAndTheRolloutToFollow() {
        byte[] value = encode(NEWER, record(NEWER, "doc-7", 12, "hello"));
        StrictTextEventDecoder decoder = new StrictTextEventDecoder();

        assertThatThrownBy(() -> decoder.decode(value))
                .isInstanceOfSatisfying(Rejection.class,
                        r -> assertThat(r.reason()).isEqualTo(RejectReason.UNKNOWN_SCHEMA))
                .hasMessageContaining(String.format("%016X", SchemaHistory.fingerprint(NEWER)))
                .hasMessageContaining(String.format("%016X", SchemaHistory.fingerprint(CURRENT)))
                .hasMessageContaining("deploy the job with that schema first");
    }

    @Test
    void aWriterSchemaTheCurrentOneCannotReadIsRefusedUpFront() {
        Schema retyped = retyped(CURRENT, "sequenceNumber", Schema.create(Schema.Type.STRING));
        Schema required = withField(CURRENT, 1, new Schema.Field("tenant", Schema.create(Schema.Type.STRING)));

        assertThatThrownBy(() -> new StrictTextEventDecoder(List.of(CURRENT, retyped)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the current TextEvent cannot read writer schema")
                .hasMessageContaining("TYPE_MISMATCH at /fields/1/type");
        // a writer with an extra field without default is readable: the reader skips it
        assertThat(new StrictTextEventDecoder(List.of(CURRENT, required)).knownFingerprints()).hasSize(2);
    }

    @Test
    void everyReasonOfTheWireFormatIsADeadLetterReason() {
        for (ValueRejected.Reason reason : ValueRejected.Reason.values()) {
            assertThat(StrictTextEventDecoder.reasonOf(new ValueRejected(reason, "why")).name())
                    .isEqualTo(reason.name());
        }
    }

    /** A record of {@code schema} with the required fields set. */
    private static GenericRecord record(Schema schema, String streamId, long sequenceNumber, String text) {
        GenericRecord record = new GenericData.Record(schema);
        for (Schema.Field field : schema.getFields()) {
            if (field.hasDefaultValue()) {
                record.put(field.name(), GenericData.get().getDefaultValue(field));
            }
        }
        record.put("streamId", streamId);
        record.put("sequenceNumber", sequenceNumber);
        record.put("text", text);
        record.put("eventTime", EVENT_TIME.toEpochMilli());
        return record;
    }

    /** The single-object encoding of {@code record} with writer schema {@code schema}. */
    private static byte[] encode(Schema schema, GenericRecord record) {
        try {
            return WireFormat.bytes(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), schema).encode(record));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code schema} with {@code added} inserted at {@code position}. */
    private static Schema withField(Schema schema, int position, Schema.Field added) {
        List<Schema.Field> fields = copy(schema.getFields());
        fields.add(position, added);
        return Schema.createRecord(schema.getName(), null, schema.getNamespace(), false, fields);
    }

    /** {@code schema} without the named fields. */
    private static Schema withoutFields(Schema schema, String... names) {
        List<Schema.Field> fields = copy(schema.getFields());
        fields.removeIf(field -> List.of(names).contains(field.name()));
        return Schema.createRecord(schema.getName(), null, schema.getNamespace(), false, fields);
    }

    /** {@code schema} with field {@code name} of another type. */
    private static Schema retyped(Schema schema, String name, Schema type) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field field : schema.getFields()) {
            fields.add(new Schema.Field(field, field.name().equals(name) ? type : field.schema()));
        }
        return Schema.createRecord(schema.getName(), null, schema.getNamespace(), false, fields);
    }

    private static List<Schema.Field> copy(List<Schema.Field> fields) {
        List<Schema.Field> copies = new ArrayList<>();
        fields.forEach(field -> copies.add(new Schema.Field(field, field.schema())));
        return copies;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        throw new AssertionError("placeholder not in the encoding");
    }
}
