package dev.streaminglstm.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The checkpoints a sandbox's job left in its run folder: Flink writes {@code <dir>/<job id>/chk-<n>/}, and a
 * checkpoint is complete once its {@code _metadata} file is there. The sandbox retains them when the job is
 * cancelled (Ctrl-C), and a killed process leaves them anyway; a resumed job numbers its checkpoints on from the one
 * it restored, under its own job id.
 */
final class RetainedCheckpoints {

    private static final Pattern CHECKPOINT = Pattern.compile("chk-(\\d{1,18})");

    private RetainedCheckpoints() {}

    /** The complete checkpoint with the highest number under {@code dir}, if any. */
    static Optional<Path> latest(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> jobs = Files.list(dir)) {
            return jobs.filter(Files::isDirectory)
                    .flatMap(RetainedCheckpoints::checkpoints)
                    .filter(checkpoint -> Files.isRegularFile(checkpoint.resolve("_metadata")))
                    .max(Comparator.comparingLong(RetainedCheckpoints::number));
        }
    }

    private static Stream<Path> checkpoints(Path jobDir) {
        try (Stream<Path> entries = Files.list(jobDir)) {
            return entries.filter(p -> CHECKPOINT.matcher(p.getFileName().toString()).matches()).toList().stream();
        } catch (IOException e) {
            return Stream.empty(); // a job folder being deleted
        }
    }

    private static long number(Path checkpoint) {
        Matcher m = CHECKPOINT.matcher(checkpoint.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }
}
