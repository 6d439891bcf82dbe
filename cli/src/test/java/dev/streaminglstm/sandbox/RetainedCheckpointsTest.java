package dev.streaminglstm.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which checkpoint a resumed sandbox restores. */
class RetainedCheckpointsTest {

    @TempDir
    Path dir;

    @Test
    void theCompleteCheckpointWithTheHighestNumberOverEveryJobOfTheRun() throws Exception {
        complete("job-a", "chk-9");
        complete("job-a", "chk-10");
        complete("job-b", "chk-12"); // the resumed job numbers on from the checkpoint it restored
        Files.createDirectories(dir.resolve("job-b/chk-13")); // cut short by kill -9: no _metadata
        Files.createDirectories(dir.resolve("job-b/shared"));

        assertThat(RetainedCheckpoints.latest(dir)).contains(dir.resolve("job-b/chk-12"));
    }

    @Test
    void noneWithoutACompleteCheckpoint() throws Exception {
        assertThat(RetainedCheckpoints.latest(dir.resolve("missing"))).isEmpty();
        Files.createDirectories(dir.resolve("job-a/chk-1"));
        assertThat(RetainedCheckpoints.latest(dir)).isEmpty();
    }

    private void complete(String job, String checkpoint) throws Exception {
        Files.write(Files.createDirectories(dir.resolve(job).resolve(checkpoint)).resolve("_metadata"), new byte[1]);
    }
}
