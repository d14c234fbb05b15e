package ai.aim4j.report;

import ai.aim4j.files.AtomicFiles;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SequencedMap;
import java.util.stream.IntStream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.lines.SeriesLines;
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

    /**
     * One named series of points.
     *
     * @param errors half-lengths of error bars, one per point (0 draws none), or null for no bars
     */
    public record Series(List<Double> x, List<Double> y, Style style, List<Double> errors) {
        /** A series without error bars. */
        public Series(List<Double> x, List<Double> y, Style style) {
            this(x, y, style, null);
        }
    }

    /** Any mix of styles, each series drawn as its {@link Style} says; {@code logX} for a logarithmic x axis. */
    public static void plot(Path file, String title, String xLabel, String yLabel, SequencedMap<String, Series> series, boolean logX)
            throws IOException {
        XYChart chart = chart(title, xLabel, yLabel);
        chart.getStyler().setMarkerSize(9);
        chart.getStyler().setXAxisLogarithmic(logX);
        series.forEach((name, s) -> {
            XYSeries x = s.errors() == null ? chart.addSeries(name, s.x(), s.y()) : chart.addSeries(name, s.x(), s.y(), s.errors());
            switch (s.style()) {
                case LINE -> x.setMarker(SeriesMarkers.NONE);
                case POINTS -> x.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                case LINE_AND_POINTS -> x.setMarker(SeriesMarkers.CIRCLE);
                case DASHED -> x.setMarker(SeriesMarkers.NONE).setLineStyle(SeriesLines.DASH_DASH);
            }
        });
        save(chart, file);
    }

    private static XYChart chart(String title, String xLabel, String yLabel) {
        XYChart chart = new XYChartBuilder().width(800).height(520).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        return chart;
    }

    /** A confusion matrix as a heat map, each true class's row in percent (values shown up to 20 classes). */
    public static void confusion(long[][] confusion, Path file) throws IOException {
        int k = confusion.length;
        List<Integer> axis = IntStream.range(0, k).boxed().toList();
        List<Number[]> heat = new ArrayList<>();
        for (int t = 0; t < k; t++) {
            long total = Arrays.stream(confusion[t]).sum();
            for (int p = 0; p < k; p++) {
                heat.add(new Number[] {p, t, total == 0 ? 0 : 100.0 * confusion[t][p] / total});
            }
        }
        HeatMapChart chart = new HeatMapChartBuilder().width(720).height(640).title("Confusion matrix (% of each true class)")
                .xAxisTitle("predicted class").yAxisTitle("true class").build();
        chart.getStyler().setShowValue(k <= 20);
        chart.addSeries("confusion", axis, axis, heat);
        save(chart, file);
    }

    /** Writes any XChart chart as a PNG, atomically. */
    private static void save(Chart<?, ?> chart, Path file) throws IOException {
        AtomicFiles.writeBytes(file, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }
}
