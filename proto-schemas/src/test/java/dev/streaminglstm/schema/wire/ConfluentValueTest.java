package dev.streaminglstm.schema.wire;

import static dev.streaminglstm.schema.wire.SingleObjectValueTest.decodesOrRejects;
import static dev.streaminglstm.schema.wire.SingleObjectValueTest.reasonOf;
import static dev.streaminglstm.schema.wire.ValueRejected.Reason.UNKNOWN_SCHEMA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.registry.SchemaRegistryServer;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.wire.ValueRejected.Reason;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CONFLUENT encoding against a real schema registry (Apicurio Registry's Confluent-compatible API, started by
 * this test): schemas registered and looked up by id, records round-tripped, writers of other versions resolved,
 * and bad bytes rejected with a reason.
 */
class ConfluentValueTest {

    private static SchemaRegistryServer server;
    private static SchemaRegistryClient registry;

    @BeforeAll
    static void startRegistry() throws IOException {
        server = SchemaRegistryServer.start();
        registry = new SchemaRegistryClient(server.confluentUrl());
    }

    @AfterAll
    static void stopRegistry() {
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.streaminglstm.schema.wire.Samples#topicRecords")
    @SuppressWarnings({"unchecked", "rawtypes"})
    void aRecordRoundTripsThroughTheRegistry(SpecificRecordBase record) throws Exception {
        Class<SpecificRecordBase> type = (Class) record.getClass();
        String topic = "round-trip-" + type.getSimpleName();
        ValueFormat format = ValueFormat.confluent(server.confluentUrl());

        ValueEncoder<SpecificRecordBase> encoder = format.encoder(type, topic);
        byte[] value = encoder.encode(record);

        assertThat(value[0]).isZero();
        assertThat(ByteBuffer.wrap(value, 1, 4).getInt()).isEqualTo(encoder.schemaId());
        Schema registered = new Schema.Parser().parse(registry.schemaById(encoder.schemaId()).orElseThrow().text());
        assertThat(registered).isEqualTo(record.getSchema());
        assertThat(format.decoder(type).decode(value)).isEqualTo(record);
        assertThat(format.encoder(type, topic).schemaId()).as("registered again: the same id")
                .isEqualTo(encoder.schemaId());
    }

    @Test
    void writersRegisteringANewSubjectAtOnceAllGetItsOneId() throws Exception {
        Callable<Integer> register = () -> new SchemaRegistryClient(server.confluentUrl())
                .register("at-once-value", Prediction.getClassSchema());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> ids = pool.invokeAll(List.of(register, register, register, register));
            for (Future<Integer> id : ids) {
                assertThat(id.get()).isEqualTo(ids.get(0).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void writersOfOtherVersionsResolveIntoTheCurrentSchema() throws Exception {
        Schema older = Samples.olderTextEvent();
        Schema newer = Samples.newerTextEvent();
        int olderId = registry.register("evolving-value", older);
        int newerId = registry.register("evolving-value", newer);
        GenericRecord newRecord = Samples.textEventOf(newer, "doc-9", "neu");
        newRecord.put("language", "de");
        ValueDecoder<TextEvent> decoder = ValueDecoder.confluent(TextEvent.class, registry);

        byte[] oldValue = Samples.confluent(olderId, older, Samples.textEventOf(older, "doc-8", "alt"));

        TextEvent fromOlder = decoder.decode(oldValue);
        TextEvent fromNewer = decoder.decode(Samples.confluent(newerId, newer, newRecord));

        assertThat(olderId).isNotEqualTo(newerId);
        assertThat(fromOlder.getText()).isEqualTo("alt");
        assertThat(fromOlder.getStartsDocument()).as("the current schema's default").isFalse();
        assertThat(fromOlder.getFeatures()).isNull();
        assertThat(fromNewer.getStreamId()).isEqualTo("doc-9");
        assertThat(fromNewer.getText()).isEqualTo("neu");
    }

    @Test
    void badBytesAndForeignSchemasAreRejectedWithAReason() throws Exception {
        ValueDecoder<TextEvent> decoder = ValueDecoder.confluent(TextEvent.class, registry);
        ValueEncoder<TextEvent> events = ValueEncoder.confluent(TextEvent.class, registry, "bad-bytes-value");
        byte[] good = events.encode(Samples.event("doc-1", "hello"));
        byte[] prediction = ValueEncoder.confluent(Prediction.class, registry, "bad-bytes-predictions-value")
                .encode(Samples.prediction("doc-1", 1));
        byte[] unknownId = good.clone();
        ByteBuffer.wrap(unknownId, 1, 4).putInt(987_654);
        byte[] badUtf8 = events.encode(Samples.event("doc-1", "@@"));
        badUtf8[indexOf(badUtf8, "@@".getBytes(StandardCharsets.US_ASCII))] = (byte) 0xC3;

        assertThat(reasonOf(decoder, new byte[] {0, 0, 0})).isEqualTo(Reason.BAD_AVRO);
        assertThat(reasonOf(decoder, "hello world".getBytes(StandardCharsets.UTF_8))).isEqualTo(Reason.BAD_AVRO);
        assertThat(reasonOf(decoder, Arrays.copyOf(good, good.length - 2))).isEqualTo(Reason.BAD_AVRO);
        assertThat(reasonOf(decoder, Arrays.copyOf(good, good.length + 1))).isEqualTo(Reason.BAD_AVRO);
        assertThat(reasonOf(decoder, badUtf8)).isEqualTo(Reason.INVALID_UTF8);
        assertThatThrownBy(() -> decoder.decode(unknownId))
                .isInstanceOfSatisfying(ValueRejected.class, r -> assertThat(r.reason()).isEqualTo(UNKNOWN_SCHEMA))
                .hasMessage("schema id 987654 is not in the schema registry " + server.confluentUrl());
        assertThatThrownBy(() -> decoder.decode(prediction))
                .isInstanceOfSatisfying(ValueRejected.class, r -> assertThat(r.reason()).isEqualTo(UNKNOWN_SCHEMA))
                .hasMessageContaining("(dev.streaminglstm.schema.Prediction) is not a TextEvent the current schema "
                        + "can read");
        decodesOrRejects(decoder, Samples.mutated(good, Encoding.CONFLUENT, 1_000));
    }

    @Test
    void theRegistryJudgesCompatibilityBySubject() throws Exception {
        Schema current = TextEvent.getClassSchema();
        Schema required = new Schema.Parser().parse(current.toString().replace("{\"name\":\"streamId\"",
                "{\"name\":\"tenant\",\"type\":\"string\"},{\"name\":\"streamId\""));
        registry.register("judged-value", current);
        registry.setCompatibility("judged-value", "BACKWARD");

        assertThat(registry.checkCompatibility("judged-value", Samples.newerTextEvent()).compatible()).isTrue();
        assertThat(registry.checkCompatibility("judged-value", required).compatible()).isFalse();
        assertThat(registry.checkCompatibility("no-such-subject-value", required).compatible()).isTrue();
        assertThatThrownBy(() -> registry.register("judged-value", required))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.status()).isEqualTo(409))
                .hasMessageStartingWith("schema registry " + server.confluentUrl()
                        + ": cannot register dev.streaminglstm.schema.TextEvent under subject 'judged-value': POST "
                        + "/subjects/judged-value/versions answered HTTP 409");
    }

    @Test
    void aRegistryThatCannotBeReachedIsAnErrorNamingItNotARejection() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closedPort + "/apis/ccompat/v7";
        ValueDecoder<DeadLetter> decoder = ValueDecoder.confluent(DeadLetter.class, new SchemaRegistryClient(url));
        byte[] value = ValueEncoder.confluent(DeadLetter.class, 5).encode(Samples.deadLetter());

        assertThatThrownBy(() -> decoder.decode(value))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.status()).isZero())
                .hasMessageStartingWith("schema registry " + url + ": cannot look up schema id 5: GET /schemas/ids/5 "
                        + "failed: java.net.ConnectException");
        assertThatThrownBy(() -> ValueFormat.confluent(url).encoder(Prediction.class, "predictions"))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("cannot register dev.streaminglstm.schema.Prediction under subject "
                        + "'predictions-value'");
        assertThatThrownBy(() -> new SchemaRegistryClient("localhost:8081"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be an absolute http or https URL");
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
