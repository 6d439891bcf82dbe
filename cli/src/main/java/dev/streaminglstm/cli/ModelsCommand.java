package dev.streaminglstm.cli;

import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.store.ModelStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code streaming-lstm models}: the versions in the model store, and which one readers serve. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List and inspect the model versions in the store; pin one for readers to serve (rollback).",
        subcommands = {ModelsCommand.ListVersions.class, ModelsCommand.Show.class, ModelsCommand.Pin.class,
                ModelsCommand.Unpin.class})
final class ModelsCommand implements Runnable {

    private static final DateTimeFormatter CREATED =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final int CHECKSUM_SHOWN = 12;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: list, show, pin or unpin");
    }

    /** A table of every committed version's manifest, oldest first, marking LATEST and PINNED. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "One line per version: version, parent, created (UTC), tokens and windows trained, recent "
                    + "training loss in bits per token, the learner's prequential bits per token over every token "
                    + "trained in (each scored before the step that learned from it), the start of the parameters' "
                    + "SHA-256; LATEST and PINNED marked.")
    static final class ListVersions implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Override
        public Integer call() throws IOException {
            ModelStore opened = store.open();
            OptionalLong latest = opened.latestVersion();
            OptionalLong pinned = opened.pinnedVersion();
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {
                "VERSION", "PARENT", "CREATED (UTC)", "TOKENS", "WINDOWS", "BPC", "PREQUENTIAL", "SHA-256", ""});
            for (ModelManifest m : opened.listVersions()) {
                List<String> marks = new ArrayList<>();
                if (latest.isPresent() && latest.getAsLong() == m.getVersion()) {
                    marks.add("LATEST");
                }
                if (pinned.isPresent() && pinned.getAsLong() == m.getVersion()) {
                    marks.add("PINNED");
                }
                if (latest.isEmpty() || m.getVersion() > latest.getAsLong()) {
                    marks.add("(not published)");
                }
                String checksum = m.getParametersChecksum();
                rows.add(new String[] {
                    Long.toString(m.getVersion()),
                    m.getParentVersion() == null ? "-" : Long.toString(m.getParentVersion()),
                    CREATED.format(m.getCreatedAt()),
                    Long.toString(m.getTokensTrained()),
                    Long.toString(m.getWindowsTrained()),
                    bpc(m.getRecentLossBpc()),
                    bpc(m.getTrainingPrequentialBpc()),
                    checksum.substring(0, Math.min(CHECKSUM_SHOWN, checksum.length())),
                    String.join(" ", marks)});
            }
            printTable(spec.commandLine().getOut(), rows);
            return 0;
        }

        private static String bpc(Double value) {
            return value == null ? "-" : String.format(Locale.ROOT, "%.3f", value);
        }

        private static void printTable(PrintWriter out, List<String[]> rows) {
            int[] widths = new int[rows.get(0).length];
            for (String[] row : rows) {
                for (int i = 0; i < row.length; i++) {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            }
            for (String[] row : rows) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < row.length; i++) {
                    boolean number = i != 2 && i < 7; // numbers right-aligned, text left-aligned
                    String cell = number ? " ".repeat(widths[i] - row[i].length()) + row[i]
                            : row[i] + " ".repeat(widths[i] - row[i].length());
                    line.append(i == 0 ? "" : "  ").append(cell);
                }
                out.println(line.toString().stripTrailing());
            }
            out.flush();
        }
    }

    /** One version's manifest as stored: Avro's JSON encoding of {@link ModelManifest}. */
    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Print a version's manifest as JSON (Avro's JSON encoding, as the store keeps it).")
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Parameters(paramLabel = "VERSION", arity = "0..1",
                description = "The version. Default: the one readers serve (pinned, else LATEST).")
        Long version;

        @Override
        public Integer call() throws IOException {
            ModelStore opened = store.open();
            long shown;
            if (version != null) {
                shown = version;
            } else {
                OptionalLong serving = opened.servingVersion();
                if (serving.isEmpty()) {
                    throw new IllegalStateException("no model version is published (LATEST) yet; name one");
                }
                shown = serving.getAsLong();
            }
            ModelManifest manifest = opened.readVersion(shown).manifest();
            ByteArrayOutputStream json = new ByteArrayOutputStream();
            JsonEncoder encoder = EncoderFactory.get().jsonEncoder(ModelManifest.getClassSchema(), json, true);
            new SpecificDatumWriter<>(ModelManifest.class).write(manifest, encoder);
            encoder.flush();
            PrintWriter out = spec.commandLine().getOut();
            out.println(json.toString(StandardCharsets.UTF_8));
            out.flush();
            return 0;
        }
    }

    /** Makes readers serve one version instead of LATEST. */
    @Command(name = "pin", mixinStandardHelpOptions = true,
            description = "Make readers (the job's inference) serve VERSION instead of LATEST, for example to roll "
                    + "back; it must be a published version that verifies.")
    static final class Pin implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Parameters(paramLabel = "VERSION", description = "The version to serve.")
        long version;

        @Override
        public Integer call() throws IOException {
            if (version < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "VERSION: must not be negative, was " + version);
            }
            ModelStore opened = store.open();
            opened.pin(version);
            PrintWriter out = spec.commandLine().getOut();
            out.println("pinned version " + version + ": readers serve it instead of LATEST ("
                    + opened.latestVersion().getAsLong() + ")");
            out.flush();
            return 0;
        }
    }

    /** Lets readers serve LATEST again. */
    @Command(name = "unpin", mixinStandardHelpOptions = true,
            description = "Remove the pin, so that readers serve LATEST again.")
    static final class Unpin implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Override
        public Integer call() throws IOException {
            ModelStore opened = store.open();
            OptionalLong pinned = opened.pinnedVersion();
            opened.unpin();
            OptionalLong latest = opened.latestVersion();
            String serving = latest.isPresent() ? "LATEST (" + latest.getAsLong() + ")" : "LATEST (none yet)";
            PrintWriter out = spec.commandLine().getOut();
            out.println(pinned.isPresent() ? "unpinned version " + pinned.getAsLong() + ": readers serve " + serving
                    : "nothing was pinned: readers serve " + serving);
            out.flush();
            return 0;
        }
    }
}
