package dev.streaminglstm.store;

import dev.streaminglstm.schema.HyperParameters;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.ModelShape;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.Random;

/** Manifests and parameter bytes for tests, each a deterministic function of the version. */
final class TestVersions {

    private TestVersions() {}

    /** A manifest as the job would hand it over: checksum and size are left for the store. */
    static ModelManifest manifest(long version) {
        return ModelManifest.newBuilder()
                .setVersion(version)
                .setParentVersion(version > 0 ? version - 1 : null)
                .setCreatedAt(Instant.ofEpochMilli(1_700_000_000_000L + version))
                .setTokensTrained(1000 * version)
                .setRecentLossBpc(2.5)
                .setShape(
                        ModelShape.newBuilder()
                                .setCellType("LSTM")
                                .setVocabSize(256)
                                .setEmbedSize(16)
                                .setHiddenSize(32)
                                .setLayers(1)
                                .build())
                .setHyperParameters(
                        HyperParameters.newBuilder()
                                .setOptimizer("adam")
                                .setLearningRate(0.01)
                                .setClipNorm(1.0)
                                .setWindowLength(64)
                                .setExtra(Map.of("beta1", "0.9"))
                                .build())
                .setParametersChecksum("")
                .setParametersBytes(0)
                .setLabels(Map.of("run", "test"))
                .build();
    }

    static byte[] parameters(long version, int size) {
        byte[] bytes = new byte[size];
        new Random(version).nextBytes(bytes);
        return bytes;
    }

    static byte[] parameters(long version) {
        return parameters(version, 1000 + (int) version);
    }

    /** Writes and publishes a version, as the job does after a completed checkpoint. */
    static void publish(ModelStore store, long version) throws IOException {
        store.writeVersion(manifest(version), parameters(version));
        store.moveLatest(version);
    }
}
