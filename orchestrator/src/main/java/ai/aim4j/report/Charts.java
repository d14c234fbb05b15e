package ai.aim4j.report;

import ai.aim4j.arrow.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SequencedMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG figures of the reproduction report, drawn with XChart and written atomically. */
public final class Charts {
    private Charts() {}

    /** One named series of points. */
    public record Series(List<Double> x, List<Double> y) {}

    /** Lines (e.g. loss curves, one per model size). */
    public static void lines(Path file, String title, String xLabel, String yLabel, SequencedMap<String, Series> series) throws IOException {
        XYChart chart = chart(title, xLabel, yLabel);
        series.forEach((name, s) -> chart.addSeries(name, s.x(), s.y()).setMarker(SeriesMarkers.NONE));
        save(chart, file);
    }

    /** Points (e.g. validation loss against probe accuracy, one colour per model size). */
    public static void scatter(Path file, String title, String xLabel, String yLabel, SequencedMap<String, Series> series) throws IOException {
        XYChart chart = chart(title, xLabel, yLabel);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(9);
        series.forEach((name, s) -> chart.addSeries(name, s.x(), s.y()));
        save(chart, file);
    }

    private static XYChart chart(String title, String xLabel, String yLabel) {
        XYChart chart = new XYChartBuilder().width(800).height(520).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        return chart;
    }

    /** Writes any XChart chart as a PNG, atomically. */
    public static void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".chart", ".png");
        try {
            BitmapEncoder.saveBitmap(chart, tmp.toString().replaceFirst("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
            AtomicFiles.writeBytes(file, Files.readAllBytes(tmp));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
