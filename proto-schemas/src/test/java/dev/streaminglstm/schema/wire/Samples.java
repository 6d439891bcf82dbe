package dev.streaminglstm.schema.wire;

import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.TokenProbability;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecordBase;

/** Records of the three topic types, and other writer schemas of TextEvent, for the wire-format tests. */
final class Samples {

    static final Instant T = Instant.ofEpochMilli(1_750_000_000_123L);

    private Samples() {}

    static TextEvent event(String streamId, String text) {
        return TextEvent.newBuilder().setStreamId(streamId).setSequenceNumber(3).setText(text).setEventTime(T)
                .setStartsDocument(true).setFeatures(List.of(0.5f, -2f)).build();
    }

    static Prediction prediction(String streamId, long sequenceNumber) {
        return Prediction.newBuilder().setStreamId(streamId).setSequenceNumber(sequenceNumber).setBytePosition(12)
                .setStatus(PredictionStatus.OK).setModelVersion(4L)
                .setTopK(List.of(new TokenProbability(101, "e", 0.25f), new TokenProbability(32, "␠", 0.125f)))
                .setContinuation("in the").setSurpriseBits(1.5).setEventTime(T).setEmittedAt(T.plusMillis(7)).build();
    }

    static DeadLetter deadLetter() {
        return DeadLetter.newBuilder().setTopic("text-in").setPartition(1).setOffset(7).setRecordTimestamp(9)
                .setKey(ByteBuffer.wrap(new byte[] {'k'})).setValue(ByteBuffer.wrap(new byte[] {0, 1, 2}))
                .setReason("why").setReasonCode("BAD_AVRO").setRejectedAt(T).setOriginalKeySize(1)
                .setOriginalValueSize(3).build();
    }

    /** One record of each type on the project's topics. */
    static Stream<SpecificRecordBase> topicRecords() {
        return Stream.of(event("doc-1", "Grüße 😀"), prediction("doc-1", 3), deadLetter());
    }

    /** A later TextEvent: one more field, with a default, as the rules of the schema history allow. */
    static Schema newerTextEvent() {
        Schema current = TextEvent.getClassSchema();
        List<Schema.Field> fields = copy(current.getFields());
        fields.add(new Schema.Field("language", Schema.create(Schema.Type.STRING), "ISO 639 code", "und"));
        return Schema.createRecord(current.getName(), null, current.getNamespace(), false, fields);
    }

    /** An earlier TextEvent: without the optional fields {@code startsDocument} and {@code features}. */
    static Schema olderTextEvent() {
        Schema current = TextEvent.getClassSchema();
        List<Schema.Field> fields = copy(current.getFields());
        fields.removeIf(field -> field.name().equals("startsDocument") || field.name().equals("features"));
        return Schema.createRecord(current.getName(), null, current.getNamespace(), false, fields);
    }

    /** A record of a TextEvent {@code schema} with the required fields set and the others at their defaults. */
    static GenericRecord textEventOf(Schema schema, String streamId, String text) {
        GenericRecord record = new GenericData.Record(schema);
        for (Schema.Field field : schema.getFields()) {
            if (field.hasDefaultValue()) {
                record.put(field.name(), GenericData.get().getDefaultValue(field));
            }
        }
        record.put("streamId", streamId);
        record.put("sequenceNumber", 12L);
        record.put("text", text);
        record.put("eventTime", T.toEpochMilli());
        return record;
    }

    /** Zero, the 4-byte big-endian {@code id}, and {@code record}'s Avro binary encoding with {@code schema}. */
    static byte[] confluent(int id, Schema schema, GenericRecord record) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(5).put((byte) 0).putInt(id).array());
        try {
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out.toByteArray();
    }

    /**
     * {@code count} values made from {@code good} (seeded, the same every run): cut or extended by up to 8 bytes,
     * with 1 to 3 bytes after the header of {@code encoding} set at random.
     */
    static List<byte[]> mutated(byte[] good, Encoding encoding, int count) {
        Random random = new Random(count);
        int header = encoding.headerBytes();
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] value = Arrays.copyOf(good, random.nextInt(good.length + 8));
            for (int flips = random.nextInt(3) + 1; flips > 0 && value.length > header; flips--) {
                value[header + random.nextInt(value.length - header)] = (byte) random.nextInt(256);
            }
            values.add(value);
        }
        return values;
    }

    private static List<Schema.Field> copy(List<Schema.Field> fields) {
        List<Schema.Field> copies = new ArrayList<>();
        fields.forEach(field -> copies.add(new Schema.Field(field, field.schema())));
        return copies;
    }
}
