package dev.streaminglstm.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The rules of schema evolution for the records on the project's topics and the store's manifest, checked on every
 * build: each record's history holds its current schema as the newest version, and every version is
 * backward-compatible (the current reader reads it) and forward-compatible (its reader reads the current schema) with
 * the current one.
 */
class SchemaHistoryTest {

    private static final Instant T = Instant.ofEpochMilli(1_750_000_000_000L);

    /** One sample of each topic record. */
    static Stream<SpecificRecordBase> topicRecords() {
        return Stream.of(
                TextEvent.newBuilder().setStreamId("doc-1").setSequenceNumber(3).setText("Grüße 😀")
                        .setEventTime(T).setStartsDocument(true).setFeatures(List.of(0.5f, -2f)).build(),
                Prediction.newBuilder().setStreamId("doc-1").setSequenceNumber(3).setBytePosition(12)
                        .setModelVersion(4L).setTopK(List.of(new TokenProbability(101, "e", 0.25f)))
                        .setContinuation("in").setSurpriseBits(1.5).setEventTime(T).setEmittedAt(T)
                        .setScoredTokens(4).setScoredBits(9.5).setStreamBpc(2.25).build(),
                DeadLetter.newBuilder().setTopic("text-in").setPartition(1).setOffset(7).setRecordTimestamp(9)
                        .setKey(ByteBuffer.wrap(new byte[] {'k'})).setValue(ByteBuffer.wrap(new byte[] {1, 2}))
                        .setReason("why").setReasonCode("BAD_AVRO").setRejectedAt(T).build());
    }

    /**
     * The schemas that carry a schema history: the records on the project's topics, and the model store's manifest
     * (stored as JSON, read back by a store of any later release).
     */
    static Stream<Schema> topicSchemas() {
        return Stream.of(TextEvent.getClassSchema(), Prediction.getClassSchema(), DeadLetter.getClassSchema(),
                ModelManifest.getClassSchema());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("topicSchemas")
    void theNewestVersionIsTheCurrentSchema(Schema current) {
        List<Schema> versions = SchemaHistory.versions(current);

        Schema newest = versions.get(versions.size() - 1);
        assertThat(SchemaNormalization.toParsingForm(newest))
                .as("src/main/avro/%s.avsc changed: copy it to src/main/resources/dev/streaminglstm/schema/%s",
                        current.getName(), SchemaHistory.resource(current, versions.size() + 1))
                .isEqualTo(SchemaNormalization.toParsingForm(current));
        assertThat(SchemaHistory.writerSchemas(current)).isEqualTo(versions);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("topicSchemas")
    void everyVersionIsDistinctAndBackwardAndForwardCompatibleWithTheCurrentSchema(Schema current) {
        List<Schema> versions = SchemaHistory.versions(current);

        Set<Long> fingerprints = new HashSet<>();
        for (Schema version : versions) {
            assertThat(fingerprints.add(SchemaHistory.fingerprint(version)))
                    .as("two versions of %s are the same schema", current.getName()).isTrue();
        }
        assertThat(incompatibilities(current, versions)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("topicSchemas")
    void theHistoryFolderHoldsOnlyTheVersionsThatAreRead(Schema current) throws Exception {
        Path folder = historyFolder().resolve(current.getName());
        List<String> files;
        try (Stream<Path> listing = Files.list(folder)) {
            files = listing.map(path -> path.getFileName().toString()).sorted().toList();
        }
        int count = SchemaHistory.versions(current).size();
        List<String> read = new ArrayList<>();
        for (int n = 1; n <= count; n++) {
            read.add("v" + n + ".avsc");
        }
        assertThat(files).as("files of %s; versions are v1.avsc, v2.avsc, ... without gaps", folder)
                .containsExactlyInAnyOrderElementsOf(read);
    }

    @Test
    void theHistoryCoversEveryTopicRecordAndNothingElse() throws Exception {
        Set<String> folders = new HashSet<>();
        try (Stream<Path> listing = Files.list(historyFolder())) {
            listing.forEach(path -> folders.add(path.getFileName().toString()));
        }
        assertThat(folders).containsExactlyInAnyOrderElementsOf(topicSchemas().map(Schema::getName).toList());
    }

    /** The compatibility check itself fails on the edits that break evolution, so the test above can fail. */
    @Test
    void theCheckFindsEditsThatBreakEvolution() {
        Schema current = TextEvent.getClassSchema();
        Schema addedWithoutDefault = edit(current, "{\"name\": \"language\", \"type\": \"string\"}");
        Schema retyped = new Schema.Parser().parse(current.toString().replace(
                "{\"name\":\"sequenceNumber\",\"type\":\"long\"", "{\"name\":\"sequenceNumber\",\"type\":\"string\""));
        Schema addedWithDefault = edit(current, "{\"name\": \"language\", \"type\": \"string\", \"default\": \"\"}");

        // The current reader cannot fill a new field without a default when it reads an old record.
        assertThat(incompatibilities(addedWithoutDefault, List.of(current)))
                .singleElement().asString().contains("backward").contains("language");
        assertThat(incompatibilities(current, List.of(retyped))).hasSize(2);
        assertThat(incompatibilities(current, List.of(addedWithDefault))).isEmpty();
        assertThat(incompatibilities(addedWithDefault, List.of(current))).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("topicRecords")
    void theHistoryDecoderReadsARecordWrittenWithEveryVersion(SpecificRecordBase sample) throws Exception {
        Schema current = sample.getSchema();
        var decoder = SchemaHistory.decoder(sample.getClass());
        for (Schema version : SchemaHistory.versions(current)) {
            GenericRecord written = asVersion(sample, version);
            byte[] encoded = encode(version, written);

            SpecificRecordBase read = decoder.decode(encoded);

            for (Schema.Field field : version.getFields()) {
                assertThat(read.get(field.name())).as("%s.%s", current.getName(), field.name())
                        .isEqualTo(sample.get(field.name()));
            }
        }
    }

    @Test
    void theHistoryDecoderRefusesAnUnknownSchema() {
        Schema newer = edit(TextEvent.getClassSchema(),
                "{\"name\": \"language\", \"type\": \"string\", \"default\": \"\"}");
        GenericRecord record = new GenericData.Record(newer);
        newer.getFields().forEach(field -> record.put(field.name(), field.hasDefaultValue()
                ? GenericData.get().getDefaultValue(field) : null));
        record.put("streamId", "s");
        record.put("sequenceNumber", 1L);
        record.put("text", "t");
        record.put("eventTime", 5L);
        byte[] encoded = encode(newer, record);

        assertThatThrownBy(() -> SchemaHistory.decoder(TextEvent.class).decode(encoded))
                .isInstanceOf(MissingSchemaException.class);
    }

    @Test
    void aRecordWithoutHistoryIsRefusedWithTheResourceItNeeds() {
        assertThatThrownBy(() -> SchemaHistory.versions(ModelShape.getClassSchema()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("history/ModelShape/v1.avsc");
    }

    /**
     * One message per direction in which {@code current} and a version cannot read each other's records: backward
     * (the current reader, an old writer) and forward (an old reader, the current writer).
     */
    static List<String> incompatibilities(Schema current, List<Schema> versions) {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < versions.size(); i++) {
            Schema version = versions.get(i);
            var backward = SchemaCompatibility.checkReaderWriterCompatibility(current, version);
            if (backward.getType() != SchemaCompatibilityType.COMPATIBLE) {
                problems.add("backward: the current " + current.getName() + " cannot read version " + (i + 1) + ": "
                        + describe(backward.getResult()));
            }
            var forward = SchemaCompatibility.checkReaderWriterCompatibility(version, current);
            if (forward.getType() != SchemaCompatibilityType.COMPATIBLE) {
                problems.add("forward: version " + (i + 1) + " of " + current.getName()
                        + " cannot read the current one: " + describe(forward.getResult()));
            }
        }
        return problems;
    }

    private static String describe(SchemaCompatibility.SchemaCompatibilityResult result) {
        return result.getIncompatibilities().stream()
                .map(i -> i.getType() + " at " + i.getLocation() + " (" + i.getMessage() + ")")
                .toList().toString();
    }

    /** {@code schema} with one more field, given as JSON. */
    private static Schema edit(Schema schema, String fieldJson) {
        String json = schema.toString();
        return new Schema.Parser().parse(json.substring(0, json.lastIndexOf(']')) + "," + fieldJson + "]}");
    }

    /** {@code sample} as a record of {@code version}: written with the current schema, read with the version's. */
    private static GenericRecord asVersion(SpecificRecordBase sample, Schema version) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
        new SpecificDatumWriter<SpecificRecordBase>(sample.getSchema()).write(sample, encoder);
        encoder.flush();
        return new GenericDatumReader<GenericRecord>(sample.getSchema(), version)
                .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
    }

    private static byte[] encode(Schema schema, GenericRecord record) {
        try {
            ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), schema).encode(record);
            byte[] out = new byte[buffer.remaining()];
            buffer.get(out);
            return out;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Path historyFolder() throws URISyntaxException {
        URL url = SchemaHistory.class.getResource("history/");
        assertThat(url).as("history folder on the class path").isNotNull();
        assertThat(url.getProtocol()).as("the module's tests read its classes from a folder").isEqualTo("file");
        return Path.of(url.toURI());
    }
}
