package dev.streaminglstm.deploy;

import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.kafka.EmbeddedKafkaBroker;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import dev.streaminglstm.store.StoredModel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.flink.api.common.JobID;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * One job submitted with {@code flink run} to a standalone cluster, with topics, a consumer group and a model store
 * of its own, and the test's side of it: a producer of its input, a reader of its predictions (each prediction's
 * byte position checked against the input's), its LATEST model, and its progress as the REST API shows it.
 * Every wait is for a condition, polled, with a deadline; a wait fails at once if the job has ended.
 */
final class JobRun implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(250);

    private final StandaloneFlinkCluster flink;
    private final String name;
    private final String input;
    private final String store;
    private final JobID job;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> predictions;
    private final Admin admin;
    private final ModelStore models;
    private final Map<TrainingInput.Key, Long> predicted = new HashMap<>();
    private final List<String> wrongPredictions = new ArrayList<>();
    private long predictionRecords;

    private JobRun(StandaloneFlinkCluster flink, String name, String input, String store, JobID job,
            String bootstrapServers) throws IOException {
        this.flink = flink;
        this.name = name;
        this.input = input;
        this.store = store;
        this.job = job;
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer());
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, name + "-test-reader");
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        predictions = new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        predictions.subscribe(List.of(name + "-predictions"));
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
        models = ModelStores.open(store);
    }

    /**
     * Submits the job jar with the given flags plus its own topics ({@code NAME-in}, {@code NAME-predictions},
     * {@code NAME-dlq}, one partition each), consumer group {@code NAME} and model store {@code storeRoot/NAME}.
     */
    static JobRun submit(StandaloneFlinkCluster flink, EmbeddedKafkaBroker kafka, Path jobJar, String storeRoot,
            String name, List<String> flags) throws IOException {
        kafka.createTopics(1, name + "-in", name + "-predictions", name + "-dlq");
        String store = storeRoot + "/" + name;
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers", kafka.bootstrapServers(),
                "--input-topic", name + "-in", "--prediction-topic", name + "-predictions",
                "--dead-letter-topic", name + "-dlq", "--group-id", name, "--store", store));
        args.addAll(flags);
        JobConfig.parse(args.toArray(String[]::new)); // the job's main would System.exit on bad flags: fail here
        JobID job = flink.submit(jobJar, args, Duration.ofMinutes(2));
        return new JobRun(flink, name, name + "-in", store, job, kafka.bootstrapServers());
    }

    String name() {
        return name;
    }

    JobID job() {
        return job;
    }

    /** Sends records to the job's input, in order, and waits until the broker has them all. */
    void send(List<TextEvent> records) {
        for (TextEvent event : records) {
            producer.send(new ProducerRecord<>(input, WireFormat.key(event.getStreamId()), WireFormat.value(event)));
        }
        producer.flush();
    }

    /** The manifest LATEST points at, or null before the first publication. */
    ModelManifest latestManifest() throws IOException {
        OptionalLong latest = models.latestVersion();
        return latest.isPresent() ? models.readVersion(latest.getAsLong()).manifest() : null;
    }

    /** Windows trained as the store's LATEST version counts them; 0 before the first. */
    long windowsPublished() throws IOException {
        ModelManifest latest = latestManifest();
        return latest == null ? 0 : latest.getWindowsTrained();
    }

    StoredModel latestModel() throws IOException {
        return models.readVersion(models.latestVersion().orElseThrow());
    }

    /** Manifests of every committed version, ascending. */
    List<ModelManifest> versions() throws IOException {
        return models.listVersions();
    }

    /**
     * Reads the predictions written since the last call; records each one's (stream, sequence number), and a
     * problem for any whose byte position differs from what {@code expected} says (a stream state lost or reset
     * gives a smaller one) or that answers no input chunk.
     */
    void readPredictions(TrainingInput expected) throws IOException {
        for (var record : predictions.poll(Duration.ofMillis(100))) {
            Prediction p = Prediction.getDecoder().decode(record.value());
            predictionRecords++;
            TrainingInput.Key key = new TrainingInput.Key(p.getStreamId(), p.getSequenceNumber());
            Long position = expected.bytePositions().get(key);
            if (position == null || position != p.getBytePosition()) {
                wrongPredictions.add(key + " at byte " + p.getBytePosition() + ", expected " + position);
            }
            predicted.putIfAbsent(key, p.getBytePosition());
        }
    }

    /** Waits until at least {@code chunks} accepted chunks have a prediction. */
    void awaitPredictions(TrainingInput expected, long chunks, Duration timeout) throws IOException {
        await(chunks + " chunks of " + name + " predicted", timeout, () -> {
            readPredictions(expected);
            return predicted.size() >= chunks;
        });
    }

    /** Accepted chunks with no prediction read so far. */
    long unpredicted(TrainingInput expected) {
        return expected.bytePositions().keySet().stream().filter(key -> !predicted.containsKey(key)).count();
    }

    List<String> wrongPredictions() {
        return wrongPredictions;
    }

    long predictionRecords() {
        return predictionRecords;
    }

    /**
     * Waits until the job has restored a checkpoint at or after {@code sinceMillis} (epoch) and completed a
     * checkpoint after that restore: a recovery from a fault injected then. Returns the restored checkpoint's
     * details ({@code latest.restored} of GET /jobs/JOB/checkpoints).
     */
    JsonNode awaitRecoverySince(long sinceMillis, Duration timeout) throws IOException {
        JsonNode[] restored = new JsonNode[1];
        await("job " + name + " restores a checkpoint after the fault and completes one more", timeout, () -> {
            JsonNode latest = flink.rest("/jobs/" + job + "/checkpoints").path("latest");
            restored[0] = latest.path("restored");
            return restored[0].path("restore_timestamp").asLong(0) >= sinceMillis
                    && latest.path("completed").path("id").asLong(-1) > restored[0].path("id").asLong();
        });
        return restored[0];
    }

    /** Waits until every task of the job runs and it has completed a checkpoint: it reads its input now. */
    void awaitRunning(Duration timeout) throws IOException {
        await("job " + name + " runs every task and completes a checkpoint", timeout, () -> {
            for (JsonNode vertex : flink.rest("/jobs/" + job).path("vertices")) {
                if (!vertex.path("status").asText().equals("RUNNING")) {
                    return false;
                }
            }
            return checkpointCounts().path("completed").asLong() > 0;
        });
    }

    /** Checkpoints completed and failed so far, as the JobManager counts them (a new JobManager starts at 0). */
    JsonNode checkpointCounts() throws IOException {
        return flink.rest("/jobs/" + job + "/checkpoints").path("counts");
    }

    /** How often the job restarted (its numRestarts metric); 0 while the JobManager does not know it yet. */
    long restarts() throws IOException {
        for (JsonNode metric : flink.rest("/jobs/" + job + "/metrics?get=numRestarts")) {
            return metric.path("value").asLong();
        }
        return 0;
    }

    /**
     * Waits until the job has read its whole input (the offsets committed at its last checkpoint are the topic's
     * end), LATEST counts at least {@code windows}, and two more checkpoints completed after that, so that LATEST
     * holds everything trained; and until every accepted chunk of {@code expected} has a prediction.
     */
    StoredModel awaitEnd(TrainingInput expected, long windows, Duration timeout) throws IOException {
        await("job " + name + " commits the end of its input", timeout, this::inputConsumed);
        await("LATEST of " + name + " counts " + windows + " windows", timeout, () -> windowsPublished() >= windows);
        long completed = checkpointCounts().path("completed").asLong();
        await("two more checkpoints of " + name, timeout,
                () -> checkpointCounts().path("completed").asLong() >= completed + 2);
        await("a prediction for every chunk sent to " + name, timeout, () -> {
            readPredictions(expected);
            return unpredicted(expected) == 0;
        });
        return latestModel();
    }

    /** A condition polled by {@link #await}; an IOException counts as not yet (a REST endpoint restarting). */
    @FunctionalInterface
    interface Condition {
        boolean holds() throws IOException;
    }

    /** Polls {@code condition} until it holds; fails at once if the job has ended, and after {@code timeout}. */
    void await(String what, Duration timeout, Condition condition) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.holds()) {
                    return;
                }
                failIfEnded();
            } catch (IOException notYet) {
                last = notYet;
            }
            sleep(POLL);
        }
        AssertionError timedOut = new AssertionError("waited " + timeout + " in vain: " + what);
        if (last != null) {
            timedOut.addSuppressed(last);
        }
        throw timedOut;
    }

    private void failIfEnded() throws IOException {
        String state = flink.rest("/jobs/" + job).path("state").asText();
        if (List.of("FAILED", "CANCELED", "FINISHED").contains(state)) {
            throw new AssertionError("job " + name + " ended: " + state);
        }
    }

    private boolean inputConsumed() throws IOException {
        TopicPartition partition = new TopicPartition(input, 0);
        try {
            long end = admin.listOffsets(Map.of(partition, OffsetSpec.latest())).all().get().get(partition).offset();
            OffsetAndMetadata committed = admin.listConsumerGroupOffsets(name).partitionsToOffsetAndMetadata().get()
                    .get(partition);
            return committed != null && committed.offset() == end;
        } catch (ExecutionException e) {
            throw new IOException("cannot read the offsets of " + input, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Cancels the job (if it still runs) and closes the test's clients. */
    @Override
    public void close() throws IOException {
        try {
            flink.cancel(job);
        } finally {
            closeClients();
        }
    }

    private void closeClients() {
        try {
            producer.close(Duration.ofSeconds(10));
            predictions.close(Duration.ofSeconds(10));
        } finally {
            admin.close(Duration.ofSeconds(10));
        }
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
