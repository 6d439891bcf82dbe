package dev.streaminglstm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** {@code report} as PNG and as HTML, from the manifests of a real local store. */
class ReportCommandTest {

    private static final Instant T0 = Instant.parse("2025-03-04T05:06:07Z");
    /** The colours LossChart draws the loss series, the LATEST mark and the PINNED mark in. */
    private static final int LOSS = 0x1f6fb4;
    private static final int LATEST = 0xd1495b;
    private static final int PINNED = 0xe8a33d;

    @TempDir
    Path dir;

    private StoreVersions versions;

    @BeforeEach
    void twelveVersionsWithFallingLoss() throws IOException {
        versions = new StoreVersions(dir.resolve("store"));
        versions.publish(1, T0, null, 0, StoreVersions.uniform()); // the first version records no loss yet
        for (int v = 2; v <= 12; v++) {
            versions.publish(v, T0.plusSeconds(45L * v), 8.0 * Math.pow(0.9, v), 6_400L * v,
                    StoreVersions.uniform());
        }
    }

    @Test
    void pngIsAnImageWithTheLossSeriesAndTheLatestMark() throws IOException {
        Path png = dir.resolve("report.png");

        CliRun run = CliRun.of("report", "--store", versions.uri(), "-o", png.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("wrote " + png).contains("12 versions, 1 to 12");
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(LossChart.WIDTH);
        assertThat(image.getHeight()).isEqualTo(LossChart.HEIGHT);
        assertThat(pixels(image, LOSS)).isGreaterThan(500);
        assertThat(pixels(image, LATEST)).isGreaterThan(50);
        assertThat(pixels(image, PINNED)).isZero();
    }

    @Test
    void pngMarksThePinnedVersion() throws IOException {
        versions.store().pin(7);
        Path png = dir.resolve("pinned.png");

        CliRun run = CliRun.of("report", "--store", versions.uri(), "--output", png.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(pixels(ImageIO.read(png.toFile()), PINNED)).isGreaterThan(50);
    }

    @Test
    void htmlHoldsAWellFormedSvgWithOnePointPerVersionThatHasALossAndATable() throws Exception {
        Path html = dir.resolve("report.html");

        CliRun run = CliRun.of("report", "--store", versions.uri(), "-o", html.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        String page = Files.readString(html, StandardCharsets.UTF_8);
        assertThat(page).startsWith("<!DOCTYPE html>").doesNotContain("<script").doesNotContain("src=");
        String svg = page.substring(page.indexOf("<svg"), page.indexOf("</svg>") + "</svg>".length());
        Document doc = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        List<Integer> lossSeries = new ArrayList<>();
        NodeList lines = doc.getElementsByTagName("polyline");
        for (int i = 0; i < lines.getLength(); i++) {
            Element line = (Element) lines.item(i);
            if (line.getAttribute("stroke").equals("#1f6fb4")) {
                lossSeries.add(line.getAttribute("points").split(" ").length);
            }
        }
        assertThat(lossSeries).containsExactly(11, 11); // by version and over time; version 1 has no loss
        assertThat(page).contains("<td>12</td>").contains("<td>76800</td>")
                .contains(String.format(Locale.ROOT, "<td>%.4f</td>", 8.0 * Math.pow(0.9, 12)));
    }

    @Test
    void anOutputOfAnotherKindIsAUsageError() {
        CliRun run = CliRun.of("report", "--store", versions.uri(), "-o", dir.resolve("report.pdf").toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).singleElement().asString().contains("must end in .png or .html");
        assertThat(dir.resolve("report.pdf")).doesNotExist();
    }

    @Test
    void aMissingStoreIsOneLineAndExitCode1() {
        Path png = dir.resolve("never.png");

        CliRun run = CliRun.of("report", "--store", dir.resolve("no-store").toString(), "-o", png.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.errLines()).singleElement().asString().contains("holds no model versions");
        assertThat(png).doesNotExist();
    }

    private static long pixels(BufferedImage image, int rgb) {
        long count = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == rgb) {
                    count++;
                }
            }
        }
        return count;
    }
}
