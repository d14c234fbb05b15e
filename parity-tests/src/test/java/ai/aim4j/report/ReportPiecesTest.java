package ai.aim4j.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportPiecesTest {
    @TempDir
    Path dir;

    @Test
    void spearmanMatchesHandComputedValues() {
        // Perfectly opposite orders, whatever the spacing.
        assertEquals(-1.0, Spearman.correlation(new double[] {0.9, 0.5, 0.3, 0.31}, new double[] {60, 70, 90, 80}), 1e-12);
        // Ties share the mean rank: ranks of {1, 2, 2, 3} are {1, 2.5, 2.5, 4}.
        assertArrayEquals(new double[] {1, 2.5, 2.5, 4}, Spearman.ranks(new double[] {1, 2, 2, 3}), 0);
        // x = 1..5, y = {2, 1, 4, 3, 5}: d^2 = 1+1+1+1+0 = 4, rho = 1 - 6*4/(5*24) = 0.8.
        assertEquals(0.8, Spearman.correlation(new double[] {1, 2, 3, 4, 5}, new double[] {2, 1, 4, 3, 5}), 1e-12);
    }

    @Test
    void chartsAreWrittenAsPngs() throws IOException {
        var series = new LinkedHashMap<String, Charts.Series>();
        series.put("width 96", new Charts.Series(List.of(100.0, 200.0, 300.0), List.of(0.6, 0.45, 0.4), Charts.Style.LINE_AND_POINTS));
        series.put("width 192", new Charts.Series(List.of(100.0, 200.0, 300.0), List.of(0.55, 0.4, 0.33), Charts.Style.POINTS));
        Path plot = dir.resolve("loss.png");
        Charts.plot(plot, "Validation loss", "step", "loss", series, true);
        BufferedImage img = ImageIO.read(plot.toFile());
        assertEquals(800, img.getWidth());
        assertEquals(520, img.getHeight());
        Path confusion = dir.resolve("confusion.png");
        Charts.confusion(new long[][] {{8, 2}, {1, 9}}, confusion);
        assertEquals(720, ImageIO.read(confusion.toFile()).getWidth());
        try (var files = Files.list(dir)) {
            assertTrue(files.allMatch(p -> p.getFileName().toString().endsWith(".png") && !p.getFileName().toString().startsWith(".")));
        }
    }
}
