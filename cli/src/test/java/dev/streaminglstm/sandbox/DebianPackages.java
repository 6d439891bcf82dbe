package dev.streaminglstm.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Debian packages a test runs, installed the way {@code .ci/run} can on a fresh machine: as root, {@code apt-get
 * update} once per JVM, then {@code apt-get install -y}. A test skips, with the reason, where a package cannot be
 * had (not root, no registry, no such package).
 */
final class DebianPackages {

    private static final long UPDATE_MINUTES = 5;
    private static final long INSTALL_MINUTES = 10;
    private static boolean updated;

    private DebianPackages() {}

    /** A check that what a package brings is there. */
    interface Presence {
        boolean present() throws IOException, InterruptedException;
    }

    /**
     * Installs {@code packages} unless {@code presence} finds them already.
     *
     * @return why they cannot be had, or empty when they are there
     */
    static synchronized Optional<String> install(Presence presence, String... packages) {
        try {
            if (presence.present()) {
                return Optional.empty();
            }
            if (!"root".equals(System.getProperty("user.name"))) {
                return Optional.of("apt-get install " + String.join(" ", packages) + " needs root; this is "
                        + System.getProperty("user.name"));
            }
            if (!updated) {
                Optional<String> failure = run(UPDATE_MINUTES, "apt-get", "update", "-q");
                if (failure.isPresent()) {
                    return failure;
                }
                updated = true;
            }
            List<String> install = new ArrayList<>(List.of("apt-get", "install", "-y", "-q",
                    "-o", "DPkg::Lock::Timeout=300"));
            install.addAll(List.of(packages));
            Optional<String> failure = run(INSTALL_MINUTES, install.toArray(String[]::new));
            if (failure.isPresent()) {
                return failure;
            }
            return presence.present() ? Optional.empty()
                    : Optional.of("installed " + String.join(" ", packages) + ", and still cannot use it");
        } catch (IOException e) {
            return Optional.of("cannot run apt-get: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }

    /** True when {@code command} runs and exits 0 within a minute. */
    static boolean runs(String... command) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            return false; // no such program
        }
        if (!process.waitFor(1, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            return false;
        }
        return process.exitValue() == 0;
    }

    private static Optional<String> run(long minutes, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("apt-get", ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process process = builder.start();
            if (!process.waitFor(minutes, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                return Optional.of(String.join(" ", command) + " took more than " + minutes + " min");
            }
            if (process.exitValue() != 0) {
                String last = Files.readString(log, StandardCharsets.UTF_8).strip().lines()
                        .reduce((a, b) -> b).orElse("");
                return Optional.of(String.join(" ", command) + " failed (exit " + process.exitValue() + "): " + last);
            }
            return Optional.empty();
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
