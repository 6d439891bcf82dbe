package dev.streaminglstm.job.inference;

import dev.streaminglstm.core.format.ModelFile;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.versions.Manifests;
import dev.streaminglstm.schema.HyperParameters;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Publishes model versions into a local model store the way the job's merger does (parameter file, manifest,
 * then {@code LATEST}), and damages published versions the ways a store can be damaged.
 */
final class ModelVersions {

    /**
     * Fresh parameters are scaled by this, so that the model's distributions are far from uniform and depend
     * strongly on the state: a prediction made with the wrong weights or state differs clearly from the right one.
     */
    private static final double SHARPNESS = 4.0;

    private final ModelStore store;
    private final Path root;
    private final ModelConfig shape;
    private final Map<String, String> hyperParameters;

    /** The versions of the store at {@code root}, of the shape {@code config} describes. */
    ModelVersions(Path root, JobConfig config) throws IOException {
        this.store = ModelStores.open(root.toUri().toString());
        this.root = root;
        this.shape = config.model().config();
        this.hyperParameters = StreamingLstmJob.manifests(config).hyperParameters();
    }

    /** The shape of the models this publishes by default. */
    ModelConfig shape() {
        return shape;
    }

    /** Publishes parameters drawn with {@code seed} as {@code version}; returns them. */
    ParameterSet publish(long version, long seed) throws IOException {
        return publish(version, shape, seed);
    }

    /** Publishes parameters of any shape drawn with {@code seed} as {@code version}; returns them. */
    ParameterSet publish(long version, ModelConfig model, long seed) throws IOException {
        ParameterSet parameters = ParameterSet.initialize(model, DataType.FLOAT, seed).muli(SHARPNESS);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelFile.write(bytes, model, hyperParameters, parameters);
        store.writeVersion(manifest(version, model), bytes.toByteArray());
        store.moveLatest(version);
        return parameters;
    }

    /** Flips one bit in the middle of a committed version's parameter file, as a bad disk would. */
    void flipParameterBit(long version) throws IOException {
        Path file = parameterFile(version);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(file, bytes);
    }

    /** Cuts a committed version's parameter file in half, as a torn write would. */
    void tearParameters(long version) throws IOException {
        Path file = parameterFile(version);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length / 2));
    }

    private Path parameterFile(long version) {
        return root.resolve("versions").resolve(Long.toString(version)).resolve("parameters.bin");
    }

    private static ModelManifest manifest(long version, ModelConfig model) {
        return ModelManifest.newBuilder()
                .setVersion(version)
                .setParentVersion(version > 1 ? version - 1 : null)
                .setCreatedAt(Instant.ofEpochMilli(1_750_000_000_000L + version))
                .setShape(Manifests.shape(model))
                .setHyperParameters(HyperParameters.newBuilder()
                        .setOptimizer("ADAM")
                        .setLearningRate(2e-3)
                        .setClipNorm(5.0)
                        .setWindowLength(64)
                        .build())
                .setParametersChecksum("")
                .setParametersBytes(0)
                .setFormatVersion(ModelFile.FORMAT_VERSION)
                .build();
    }
}
