package ai.aim4j.report;

import ai.aim4j.files.AtomicFiles;
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

    /** How a series is drawn. */
    public enum Style {
        /** a line, no markers (curves) */
        LINE,
        /** markers only (scatter) */
        POINTS,
        /** a line through markers (a few measured points) */
        LINE_AND_POINTS,
        /** a dashed line, no markers (a reference level) */
        DASHED
    }

    /** One named series of points. */
    public record Series(List<Double> x, List<Double> y, Style style) {
        public Series(List<Double> x, List<Double> y) {
            this(x, y, Style.LINE);
        }
    }

    /** Lines (e.g. loss curves, one per model size). */
    public static void lines(Path file, String title, String xLabel, String yLabel, SequencedMap<String, Series> series) throws IOException {
        plot(file, title, xLabel, yLabel, restyle(series, Style.LINE), false);
    }

    /** Points (e.g. validation loss against probe accuracy, one colour per model size). */
    public static void scatter(Path file, String title, String xLabel, String yLabel, SequencedMap<String, Series> series) throws IOException {
        plot(file, title, xLabel, yLabel, restyle(series, Style.POINTS), false);
    }

    /** Any mix of styles, each series drawn as its {@link Style} says; {@code logX} for a logarithmic x axis. */
    public static void plot(Path file, String title, String xLabel, String yLabel, SequencedMap<String, Series> series, boolean logX)
            throws IOException {
        XYChart chart = chart(title, xLabel, yLabel);
        chart.getStyler().setMarkerSize(9);
        chart.getStyler().setXAxisLogarithmic(logX);
        series.forEach((name, s) -> {
            XYSeries x = chart.addSeries(name, s.x(), s.y());
            switch (s.style()) {
                case LINE -> x.setMarker(SeriesMarkers.NONE);
                case POINTS -> x.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                case LINE_AND_POINTS -> x.setMarker(SeriesMarkers.CIRCLE);
                case DASHED -> x.setMarker(SeriesMarkers.NONE).setLineStyle(org.knowm.xchart.style.lines.SeriesLines.DASH_DASH);
            }
        });
        save(chart, file);
    }

    private static SequencedMap<String, Series> restyle(SequencedMap<String, Series> series, Style style) {
        SequencedMap<String, Series> out = new java.util.LinkedHashMap<>();
        series.forEach((name, s) -> out.put(name, new Series(s.x(), s.y(), style)));
        return out;
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
