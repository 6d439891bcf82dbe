package dev.streaminglstm.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streaminglstm.schema.ModelManifest;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Manifests of every release are read back: Avro's JSON decoder fills no defaults, so each is resolved. */
class ManifestJsonTest {

    @Test
    void aManifestRoundTripsWithTheTrainingLoss() throws IOException {
        ModelManifest written = TestVersions.manifest(3);
        written.setTrainingPrequentialBpc(1.875);
        written.setTrainingPrequentialTokens(3000L);

        assertThat(ManifestJson.decode(ManifestJson.encode(written))).isEqualTo(written);
    }

    @Test
    void aManifestWrittenBeforeTheTrainingLossWasRecordedIsReadWithItsDefaults() throws IOException {
        ModelManifest current = TestVersions.manifest(3);
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode json = (ObjectNode) mapper.readTree(ManifestJson.encode(current));
        json.remove("trainingPrequentialBpc");
        json.remove("trainingPrequentialTokens");
        byte[] firstRelease = mapper.writeValueAsBytes(json); // as the schema's first version wrote it

        ModelManifest read = ManifestJson.decode(firstRelease);

        assertThat(read).isEqualTo(current);
        assertThat(read.getTrainingPrequentialBpc()).isNull();
        assertThat(read.getTrainingPrequentialTokens()).isZero();
    }

    @Test
    void aNegativeTokenCountForTheTrainingLossIsRefused() {
        ModelManifest hostile = TestVersions.manifest(3);
        hostile.setTrainingPrequentialBpc(1.5);
        hostile.setTrainingPrequentialTokens(-1L);

        assertThatThrownBy(() -> ManifestJson.decode(ManifestJson.encode(hostile)))
                .isInstanceOf(IOException.class)
                .hasMessage("trainingPrequentialTokens is -1, below 0");
    }

    @Test
    void aDocumentNoReleaseWroteIsRefusedWithTheCurrentSchemasReason() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode json = (ObjectNode) mapper.readTree(ManifestJson.encode(TestVersions.manifest(3)));
        json.remove("parametersChecksum");

        assertThatThrownBy(() -> ManifestJson.decode(mapper.writeValueAsBytes(json)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("parametersChecksum");
    }
}
