package rsd.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.Rectangle;
import java.text.DecimalFormat;
import java.util.List;
import java.util.Map;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.BoxAndWhiskerRenderer;
import org.jfree.chart.renderer.category.StackedBarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.statistics.DefaultBoxAndWhiskerCategoryDataset;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.ViewBox;

/**
 * The bench report's charts: drawn by JFreeChart onto JFreeSVG's SVGGraphics2D and returned as inline
 * {@code <svg>} elements (scalable, searchable text, no image files). Each chart gets its own id prefix so
 * that the clip-path definitions of several charts on one page do not collide.
 */
final class Charts {
    static final Color GOOD = new Color(0x2da44e);
    static final Color BAD = new Color(0xe5534b);
    static final Color GRID = new Color(0xd8dee4);
    static final Color TEXT = new Color(0x1f2328);
    static final Color MUTED = new Color(0x656d76);
    private static final Color STANDARD = new Color(0x8c959f);
    private static final Color[] MODES = {new Color(0x4e79a7), new Color(0xf28e2b), new Color(0xb07aa1),
        new Color(0x76b7b2), new Color(0x9c755f), new Color(0xedc948)};
    private static final Font TICK = new Font("SansSerif", Font.PLAIN, 12);
    private static final Font LABEL = new Font("SansSerif", Font.PLAIN, 13);
    private static final Font VALUE = new Font("SansSerif", Font.BOLD, 12);

    private Charts() {
    }

    /** The colour of a mode: standard decoding is grey, the others take categorical colours in order. */
    static Color modeColour(String mode, List<String> modes) {
        if (mode.equals("standard")) {
            return STANDARD;
        }
        int i = 0;
        for (String m : modes) {
            if (m.equals(mode)) {
                break;
            }
            if (!m.equals("standard")) {
                i++;
            }
        }
        return MODES[i % MODES.length];
    }

    static String hex(Color c) {
        return String.format("#%06x", c.getRGB() & 0xffffff);
    }

    /** One bar per mode, each in its mode's colour, value printed on the bar. */
    static String modeBars(String id, Map<String, Double> values, List<String> modes, String axis, String format,
                           Double reference, int w, int h) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        values.forEach((mode, v) -> data.addValue(v, axis, mode));
        BarRenderer r = new BarRenderer() {
            @Override
            public Paint getItemPaint(int row, int column) {
                return modeColour((String) data.getColumnKey(column), modes);
            }
        };
        r.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", new DecimalFormat(format)));
        r.setDefaultItemLabelsVisible(true);
        r.setDefaultItemLabelFont(VALUE);
        r.setDefaultItemLabelPaint(TEXT);
        r.setMaximumBarWidth(0.16);
        CategoryPlot plot = plot(data, r, axis);
        plot.getRangeAxis().setUpperMargin(0.15);
        if (reference != null) {
            plot.addRangeMarker(referenceLine(reference));
        }
        return svg(id, chart(plot, false), w, h);
    }

    /** Distribution of a per-problem value for each mode, as box plots (median, quartiles, mean, outliers). */
    static String boxes(String id, Map<String, List<Double>> values, List<String> modes, String axis, int w, int h) {
        DefaultBoxAndWhiskerCategoryDataset data = new DefaultBoxAndWhiskerCategoryDataset();
        values.forEach((mode, v) -> data.add(v, axis, mode));
        BoxAndWhiskerRenderer r = new BoxAndWhiskerRenderer() {
            @Override
            public Paint getItemPaint(int row, int column) {
                return modeColour((String) data.getColumnKey(column), modes);
            }
        };
        r.setFillBox(true);
        r.setMeanVisible(false); // JFreeChart draws the mean as a disc as wide as the box: too loud
        r.setMaximumBarWidth(0.12);
        r.setUseOutlinePaintForWhiskers(true);
        r.setDefaultOutlinePaint(TEXT);
        r.setDefaultOutlineStroke(new BasicStroke(1.2f));
        CategoryPlot plot = plot(data, r, axis);
        NumberAxis y = (NumberAxis) plot.getRangeAxis();
        y.setAutoRangeIncludesZero(false);
        // All problems at exactly 1.0 (standard decoding) would otherwise give a zero-height range.
        y.setAutoRangeMinimumSize(0.5);
        y.setNumberFormatOverride(new DecimalFormat("0.0#"));
        return svg(id, chart(plot, false), w, h);
    }

    /**
     * Horizontal stacked bars, one per rule: accepted guesses (green) and rejected ones (red), so the length is
     * what the rule drafted and the green part what it earned.
     */
    static String ruleBars(String id, List<String> rules, Map<String, long[]> draftedAccepted, int w, int h) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (String rule : rules) {
            long[] da = draftedAccepted.get(rule);
            data.addValue(da[1], "accepted", rule);
            data.addValue(da[0] - da[1], "rejected", rule);
        }
        StackedBarRenderer r = new StackedBarRenderer();
        r.setSeriesPaint(0, GOOD);
        r.setSeriesPaint(1, BAD);
        r.setMaximumBarWidth(0.12);
        CategoryPlot plot = plot(data, r, "guessed tokens");
        plot.getRangeAxis().setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        plot.setOrientation(PlotOrientation.HORIZONTAL);
        return svg(id, chart(plot, true), w, h);
    }

    /** Per-problem speed-up over standard decoding, problems sorted, one series per speculative mode. */
    static String problemBars(String id, List<String> problems, Map<String, Map<String, Double>> speedupByMode,
                              List<String> modes, int w, int h) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        speedupByMode.forEach((mode, byTask) -> {
            for (String p : problems) {
                Double v = byTask.get(p);
                data.addValue(v, mode, p);
            }
        });
        BarRenderer r = new BarRenderer();
        int i = 0;
        for (String mode : speedupByMode.keySet()) {
            r.setSeriesPaint(i++, modeColour(mode, modes));
        }
        r.setItemMargin(0.0);
        r.setMaximumBarWidth(0.04);
        CategoryPlot plot = plot(data, r, "speed-up vs standard (\u00d7)");
        plot.addRangeMarker(referenceLine(1.0));
        CategoryAxis x = plot.getDomainAxis();
        x.setCategoryMargin(0.25);
        x.setLowerMargin(0.01);
        x.setUpperMargin(0.01);
        if (problems.size() > 40) {
            x.setTickLabelsVisible(false);
            x.setLabel(problems.size() + " problems, sorted by speed-up");
            x.setLabelFont(LABEL);
            x.setLabelPaint(MUTED);
        } else {
            x.setCategoryLabelPositions(CategoryLabelPositions.UP_45);
            x.setTickLabelFont(new Font("SansSerif", Font.PLAIN, 10));
        }
        return svg(id, chart(plot, speedupByMode.size() > 1), w, h);
    }

    private static ValueMarker referenceLine(double at) {
        ValueMarker m = new ValueMarker(at);
        m.setPaint(TEXT);
        m.setStroke(new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {5f, 4f}, 0f));
        // No label: wherever it goes it collides with some bar; the notes under the charts explain the line.
        return m;
    }

    private static CategoryPlot plot(org.jfree.data.category.CategoryDataset data,
                                     org.jfree.chart.renderer.category.CategoryItemRenderer r, String axis) {
        if (r instanceof BarRenderer bar) {
            bar.setBarPainter(new StandardBarPainter());
            bar.setShadowVisible(false);
            bar.setDrawBarOutline(false);
            bar.setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE12, TextAnchor.BOTTOM_CENTER));
        }
        CategoryAxis x = new CategoryAxis();
        x.setTickLabelFont(TICK);
        x.setTickLabelPaint(TEXT);
        x.setAxisLinePaint(GRID);
        x.setTickMarksVisible(false);
        NumberAxis y = new NumberAxis(axis);
        y.setLabelFont(LABEL);
        y.setLabelPaint(MUTED);
        y.setTickLabelFont(TICK);
        y.setTickLabelPaint(MUTED);
        y.setAxisLineVisible(false);
        y.setTickMarksVisible(false);
        CategoryPlot plot = new CategoryPlot(data, x, y, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setOutlineVisible(false);
        plot.setRangeGridlinePaint(GRID);
        plot.setRangeGridlineStroke(new BasicStroke(1f));
        plot.setDomainGridlinesVisible(false);
        return plot;
    }

    private static JFreeChart chart(CategoryPlot plot, boolean legend) {
        JFreeChart chart = new JFreeChart(null, JFreeChart.DEFAULT_TITLE_FONT, plot, legend);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setBorderVisible(false);
        chart.setPadding(new org.jfree.chart.ui.RectangleInsets(4, 4, 4, 8));
        LegendTitle l = chart.getLegend();
        if (l != null) {
            l.setItemFont(TICK);
            l.setFrame(org.jfree.chart.block.BlockBorder.NONE);
            l.setPosition(RectangleEdge.TOP);
        }
        return chart;
    }

    private static String svg(String id, JFreeChart chart, int w, int h) {
        SVGGraphics2D g = new SVGGraphics2D(w, h);
        g.setDefsKeyPrefix(id + "-");
        chart.draw(g, new Rectangle(0, 0, w, h));
        g.dispose();
        // No fixed width/height: the viewBox lets the page's CSS scale the chart to its column.
        return g.getSVGElement(id, false, new ViewBox(0, 0, w, h), null, null);
    }
}
