package dev.streaminglstm.cli;

import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.store.ModelStore;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code streaming-lstm report}: plots the training loss and tokens trained of the store's versions, from their
 * manifests, as a PNG image or a self-contained HTML page (inline SVG and a table), chosen by the file's extension.
 */
@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Plot the store's versions from their manifests: recent training loss (bits per token) by "
                + "version and over time, and tokens trained over time; LATEST and PINNED marked. Writes a PNG "
                + "image (FILE.png) or a self-contained HTML page with the plot and a table (FILE.html).")
final class ReportCommand implements Callable<Integer> {

    private static final DateTimeFormatter SHOWN =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE",
            description = "Where to write the report: a .png or an .html file.")
    Path output;

    @Override
    public Integer call() throws IOException {
        String name = output.getFileName() == null ? "" : output.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean png = name.endsWith(".png");
        if (!png && !name.endsWith(".html") && !name.endsWith(".htm")) {
            throw new ParameterException(spec.commandLine(), "--output: " + output
                    + " must end in .png or .html (the extension chooses the format)");
        }
        Path folder = output.toAbsolutePath().getParent();
        if (folder != null && !Files.isDirectory(folder)) {
            throw new ParameterException(spec.commandLine(), "--output: folder " + folder + " does not exist");
        }
        ModelStore opened = store.open();
        List<ModelManifest> manifests = opened.listVersions();
        if (manifests.isEmpty()) {
            throw new IllegalStateException("model store " + store.uri + " holds no committed version to plot");
        }
        OptionalLong latest = opened.latestVersion();
        OptionalLong pinned = opened.pinnedVersion();
        List<LossChart.Point> points = manifests.stream()
                .map(m -> new LossChart.Point(m.getVersion(), m.getCreatedAt(), m.getRecentLossBpc(),
                        m.getTokensTrained()))
                .toList();
        LossChart chart = new LossChart("streaming-lstm training report", subtitle(points, latest, pinned), points,
                latest, pinned);
        if (png) {
            writePng(chart);
        } else {
            writeHtml(chart, points);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("wrote " + output + " (" + points.size() + " versions, " + points.get(0).version() + " to "
                + points.get(points.size() - 1).version() + ")");
        out.flush();
        return 0;
    }

    private String subtitle(List<LossChart.Point> points, OptionalLong latest, OptionalLong pinned) {
        Instant first = points.get(0).createdAt();
        Instant last = points.get(points.size() - 1).createdAt();
        return "store " + store.uri + "  ·  " + points.size() + " versions  ·  LATEST "
                + (latest.isPresent() ? latest.getAsLong() : "none") + "  ·  PINNED "
                + (pinned.isPresent() ? pinned.getAsLong() : "none") + "  ·  written " + SHOWN.format(first)
                + " to " + SHOWN.format(last) + " UTC";
    }

    private void writePng(LossChart chart) throws IOException {
        System.setProperty("java.awt.headless", "true");
        ChartCanvas.Raster canvas = new ChartCanvas.Raster(LossChart.WIDTH, LossChart.HEIGHT);
        chart.draw(canvas);
        try (OutputStream file = Files.newOutputStream(output)) {
            if (!ImageIO.write(canvas.finish(), "png", file)) {
                throw new IOException("this Java runtime has no PNG writer");
            }
        }
    }

    private void writeHtml(LossChart chart, List<LossChart.Point> points) throws IOException {
        ChartCanvas.Svg canvas = new ChartCanvas.Svg(LossChart.WIDTH, LossChart.HEIGHT);
        chart.draw(canvas);
        StringBuilder html = new StringBuilder()
                .append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<title>streaming-lstm training report</title>\n<style>\n")
                .append("body { font-family: sans-serif; margin: 24px; color: #222; }\n")
                .append("svg { max-width: 100%; height: auto; }\n")
                .append("table { border-collapse: collapse; margin-top: 24px; }\n")
                .append("th, td { padding: 4px 12px; border-bottom: 1px solid #e3e3e3; text-align: right; }\n")
                .append("</style>\n</head>\n<body>\n")
                .append(canvas.finish())
                .append("<table>\n<tr><th>version</th><th>written (UTC)</th><th>tokens trained</th>"
                        + "<th>recent loss (bits per token)</th></tr>\n");
        for (LossChart.Point p : points) {
            html.append("<tr><td>").append(p.version()).append("</td><td>")
                    .append(SHOWN.format(p.createdAt())).append("</td><td>").append(p.tokensTrained())
                    .append("</td><td>")
                    .append(p.lossBpc() == null ? "-" : String.format(Locale.ROOT, "%.4f", p.lossBpc()))
                    .append("</td></tr>\n");
        }
        html.append("</table>\n</body>\n</html>\n");
        Files.writeString(output, html, StandardCharsets.UTF_8);
    }
}
