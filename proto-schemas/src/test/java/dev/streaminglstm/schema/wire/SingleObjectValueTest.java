package dev.streaminglstm.schema.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.SchemaHistory;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.schema.wire.ValueRejected.Reason;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The SINGLE_OBJECT encoding through the wire abstraction: the same bytes as today, read strictly. */
class SingleObjectValueTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.streaminglstm.schema.wire.Samples#topicRecords")
    @SuppressWarnings({"unchecked", "rawtypes"})
    void encodesTheBytesOfToByteBufferAndReadsThemBack(SpecificRecordBase record) throws Exception {
        Class<SpecificRecordBase> type = (Class) record.getClass();
        ValueFormat format = ValueFormat.singleObject();

        byte[] value = format.encoder(type, "any-topic").encode(record);

        assertThat(value).isEqualTo(wireFormatValue(record));
        assertThat(format.decoder(type).decode(value)).isEqualTo(record);
    }

    @Test
    void readsEveryWriterOfTheHistoryAndRefusesOthersWithTheRolloutToFollow() throws Exception {
        ValueDecoder<TextEvent> decoder = ValueDecoder.singleObject(TextEvent.class);
        Schema older = Samples.olderTextEvent();
        byte[] oldValue = singleObject(older, Samples.textEventOf(older, "doc-2", "old"));
        ValueDecoder<TextEvent> knowsOlder = ValueDecoder.singleObject(TextEvent.class,
                List.of(older, TextEvent.getClassSchema()), "job");

        assertThat(decoder.knownFingerprints()).containsExactlyElementsOf(SchemaHistory
                .writerSchemas(TextEvent.getClassSchema()).stream().map(SchemaHistory::fingerprint).toList());
        assertThat(knowsOlder.decode(oldValue).getStartsDocument()).isFalse();
        assertThatThrownBy(() -> decoder.decode(oldValue))
                .isInstanceOfSatisfying(ValueRejected.class,
                        r -> assertThat(r.reason()).isEqualTo(Reason.UNKNOWN_SCHEMA))
                .hasMessageStartingWith(String.format("schema fingerprint %016X is none of the 1 TextEvent schemas "
                        + "this reader knows", SchemaHistory.fingerprint(older)))
                .hasMessageContaining("deploy the reader with that schema first");
    }

    @Test
    void aWriterTheCurrentSchemaCannotReadIsRefusedUpFront() {
        Schema retyped = new Schema.Parser().parse(TextEvent.getClassSchema().toString().replace(
                "{\"name\":\"sequenceNumber\",\"type\":\"long\"", "{\"name\":\"sequenceNumber\",\"type\":\"string\""));

        assertThatThrownBy(() -> ValueDecoder.singleObject(TextEvent.class, List.of(retyped), "job"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the current TextEvent cannot read writer schema")
                .hasMessageContaining("TYPE_MISMATCH at /fields/1/type");
    }

    @Test
    void badBytesAreRejectedWithAReasonAndNeverThrowAnythingElse() throws Exception {
        ValueDecoder<Prediction> decoder = ValueDecoder.singleObject(Prediction.class);
        byte[] good = WireFormat.value(Samples.prediction("doc-1", 1));

        assertThat(reasonOf(decoder, "hello world".getBytes())).isEqualTo(Reason.BAD_AVRO);
        assertThat(reasonOf(decoder, Arrays.copyOf(good, good.length - 1))).isEqualTo(Reason.BAD_AVRO);
        assertThat(reasonOf(decoder, Arrays.copyOf(good, good.length + 1))).isEqualTo(Reason.BAD_AVRO);
        assertThat(reasonOf(decoder, WireFormat.value(Samples.event("doc-1", "t")))).isEqualTo(Reason.UNKNOWN_SCHEMA);
        decodesOrRejects(decoder, Samples.mutated(good, Encoding.SINGLE_OBJECT, 2_000));
    }

    @Test
    void writerSchemasTheStrictWalkCannotCheckAreNamed() {
        Schema nulls = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                + "{\"name\":\"xs\",\"type\":{\"type\":\"array\",\"items\":\"null\"}}]}");
        Schema recursive = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Node\",\"fields\":["
                + "{\"name\":\"next\",\"type\":[\"null\",\"Node\"]}]}");

        assertThat(StrictAvroBody.unsupported(nulls)).isEqualTo("array 'xs' has items that take no bytes");
        assertThat(StrictAvroBody.unsupported(recursive)).isEqualTo("record Node contains itself at 'next'");
        Arrays.asList(TextEvent.getClassSchema(), Prediction.getClassSchema())
                .forEach(schema -> assertThat(StrictAvroBody.unsupported(schema)).isNull());
    }

    /** What the decoder rejects {@code value} for; fails when it accepts it. */
    static Reason reasonOf(ValueDecoder<?> decoder, byte[] value) throws SchemaRegistryException {
        try {
            decoder.decode(value);
        } catch (ValueRejected rejected) {
            return rejected.reason();
        }
        throw new AssertionError("accepted " + Arrays.toString(value));
    }

    /** Decodes each value, or sees it rejected with a reason; any other exception fails the test. */
    static void decodesOrRejects(ValueDecoder<?> decoder, List<byte[]> values) throws SchemaRegistryException {
        for (byte[] value : values) {
            try {
                assertThat(decoder.decode(value)).isNotNull();
            } catch (ValueRejected expected) {
                assertThat(expected.getMessage()).isNotBlank();
            }
        }
    }

    private static byte[] singleObject(Schema schema, GenericRecord record) throws IOException {
        return WireFormat.bytes(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), schema).encode(record));
    }

    /** What {@link WireFormat} writes for {@code record}. */
    private static byte[] wireFormatValue(SpecificRecordBase record) {
        if (record instanceof TextEvent event) {
            return WireFormat.value(event);
        }
        return record instanceof Prediction prediction ? WireFormat.value(prediction)
                : WireFormat.value((DeadLetter) record);
    }
}
