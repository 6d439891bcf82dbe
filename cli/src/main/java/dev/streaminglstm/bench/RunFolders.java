package dev.streaminglstm.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A benchmark's run folder (model store, checkpoints, broker log), deleted when the run ends unless kept. */
public final class RunFolders {
    private RunFolders() {}

    /** Deletes {@code dir} and everything under it. */
    public static void delete(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the benchmark's run folder " + dir, e);
        }
    }
}
