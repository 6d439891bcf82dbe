package dev.streaminglstm.sql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.job.output.PredictionSerializer;
import dev.streaminglstm.kafka.EmbeddedKafkaBroker;
import dev.streaminglstm.registry.SchemaRegistryServer;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TokenProbability;
import dev.streaminglstm.schema.wire.ValueFormat;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Flink SQL reads the prediction topic written in the CONFLUENT wire format: the Kafka SQL connector with Flink's
 * {@code avro-confluent} format, which looks each writer schema up in the schema registry by the id in the value.
 * The table and query are the ones docs/schema-registry.md shows.
 */
class PredictionTableITCase {

    /**
     * The table docs/schema-registry.md shows, with the broker's and the registry's addresses and the reader schema to fill in.
     * The reader schema is {@code Prediction.avsc}: Flink's own reader schema, derived from the columns, cannot
     * read the Avro enum {@code status} into a STRING; with it, the columns must match the schema exactly.
     */
    static final String CREATE_TABLE = """
            CREATE TABLE predictions (
              streamId       STRING NOT NULL,
              sequenceNumber BIGINT NOT NULL,
              bytePosition   BIGINT NOT NULL,
              status         STRING NOT NULL,
              modelVersion   BIGINT,
              draft          BOOLEAN NOT NULL,
              topK           ARRAY<ROW<token INT NOT NULL, display STRING NOT NULL, probability FLOAT NOT NULL>
                                   NOT NULL> NOT NULL,
              continuation   STRING NOT NULL,
              surpriseBits   DOUBLE,
              eventTime      TIMESTAMP(3) NOT NULL,
              emittedAt      TIMESTAMP(3) NOT NULL,
              scoredTokens   INT NOT NULL,
              scoredBits     DOUBLE NOT NULL,
              streamBpc      DOUBLE
            ) WITH (
              'connector' = 'kafka',
              'topic' = 'predictions',
              'properties.bootstrap.servers' = '%s',
              'scan.startup.mode' = 'earliest-offset',
              'scan.bounded.mode' = 'latest-offset',
              'value.format' = 'avro-confluent',
              'value.avro-confluent.url' = '%s',
              'value.avro-confluent.schema' = '%s'
            )""";

    /** The query docs/schema-registry.md shows. */
    static final String QUERY = """
            SELECT streamId AS stream_id, sequenceNumber AS seq, status, modelVersion AS model,
                   topK[1].display AS top, topK[1].probability AS p, continuation, eventTime AS event_time
            FROM predictions""";

    /** The short form docs/schema-registry.md shows: no reader schema, so no enum column; any subset of the other fields. */
    static final String CREATE_SHORT_TABLE = """
            CREATE TABLE prediction_texts (
              streamId       STRING,
              sequenceNumber BIGINT,
              modelVersion   BIGINT,
              continuation   STRING
            ) WITH (
              'connector' = 'kafka',
              'topic' = 'predictions',
              'properties.bootstrap.servers' = '%s',
              'scan.startup.mode' = 'earliest-offset',
              'scan.bounded.mode' = 'latest-offset',
              'value.format' = 'avro-confluent',
              'value.avro-confluent.url' = '%s'
            )""";

    private static final Instant T = Instant.ofEpochMilli(1_750_000_000_123L);

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(new Configuration()).setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static EmbeddedKafkaBroker kafka;
    private static SchemaRegistryServer registry;

    @BeforeAll
    static void startServers() throws IOException {
        kafka = EmbeddedKafkaBroker.start();
        registry = SchemaRegistryServer.start();
    }

    @AfterAll
    static void stopServers() {
        if (registry != null) {
            registry.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void aSelectOverThePredictionTopicReturnsThePredictionsWritten() throws Exception {
        kafka.createTopics(1, "predictions");
        PredictionSerializer serializer = new PredictionSerializer("predictions",
                ValueFormat.confluent(registry.confluentUrl()));
        serializer.open(null, null);
        List<Prediction> written = List.of(
                noModel("doc-1", 1),
                prediction("doc-1", 2, "e", 0.25f, " the"),
                prediction("doc-2", 1, "T", 0.5f, "he "));
        try (Producer<byte[], byte[]> producer = producer()) {
            for (Prediction p : written) {
                producer.send(serializer.serialize(p, null, null));
            }
        }
        StreamTableEnvironment tables = StreamTableEnvironment.create(
                StreamExecutionEnvironment.getExecutionEnvironment().setParallelism(1));
        tables.executeSql(String.format(CREATE_TABLE, kafka.bootstrapServers(), registry.confluentUrl(),
                Prediction.getClassSchema().toString().replace("'", "''")));
        tables.executeSql(String.format(CREATE_SHORT_TABLE, kafka.bootstrapServers(), registry.confluentUrl()));

        List<Row> rows = rows(tables, QUERY);
        List<Row> texts = rows(tables,
                "SELECT streamId, sequenceNumber, modelVersion, continuation FROM prediction_texts");

        LocalDateTime eventTime = LocalDateTime.ofInstant(T, ZoneOffset.UTC);
        assertThat(rows).containsExactly(
                Row.of("doc-1", 1L, "NO_MODEL", null, null, null, "", eventTime),
                Row.of("doc-1", 2L, "OK", 7L, "e", 0.25f, " the", eventTime),
                Row.of("doc-2", 1L, "OK", 7L, "T", 0.5f, "he ", eventTime));
        assertThat(texts).containsExactly(
                Row.of("doc-1", 1L, null, ""),
                Row.of("doc-1", 2L, 7L, " the"),
                Row.of("doc-2", 1L, 7L, "he "));
    }

    private static List<Row> rows(StreamTableEnvironment tables, String query) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (CloseableIterator<Row> result = tables.executeSql(query).collect()) {
            result.forEachRemaining(rows::add);
        }
        return rows;
    }

    private static Prediction noModel(String streamId, long sequenceNumber) {
        return Prediction.newBuilder().setStreamId(streamId).setSequenceNumber(sequenceNumber).setBytePosition(5)
                .setStatus(PredictionStatus.NO_MODEL).setEventTime(T).setEmittedAt(T).build();
    }

    private static Prediction prediction(String streamId, long sequenceNumber, String top, float p, String next) {
        return Prediction.newBuilder().setStreamId(streamId).setSequenceNumber(sequenceNumber).setBytePosition(9)
                .setStatus(PredictionStatus.OK).setModelVersion(7L)
                .setTopK(List.of(new TokenProbability((int) top.charAt(0), top, p),
                        new TokenProbability(32, "␠", p / 2)))
                .setContinuation(next).setSurpriseBits(1.5).setEventTime(T).setEmittedAt(T).build();
    }

    private static Producer<byte[], byte[]> producer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new ByteArraySerializer(), new ByteArraySerializer());
    }
}
