package io.gitward.bench.cluster;

import java.util.List;
import java.util.Locale;

/**
 * A minimal SVG writer for the benchmark's two chart kinds: grouped vertical bars on a logarithmic axis (latency
 * percentiles per variant) and horizontal bars on a linear axis (throughput per variant). No dependencies; the
 * output is plain SVG 1.1 that browsers and GitHub render.
 */
final class SvgChart {
    private static final String[] COLORS = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948"};
    private static final String FONT = "font-family=\"sans-serif\"";

    private SvgChart() {
    }

    /** One labelled group of bars (one bar per series). */
    record Bars(String label, double[] values) {
    }

    /** Grouped bars, log scale: e.g. categories = variants, series = p50, p90, p99, p99.9. */
    static String logBars(String title, String unit, List<String> series, List<Bars> groups) {
        double min = Double.MAX_VALUE;
        double max = 0;
        for (Bars group : groups) {
            for (double value : group.values()) {
                if (value > 0) {
                    min = Math.min(min, value);
                    max = Math.max(max, value);
                }
            }
        }
        if (max == 0) {
            min = 0.1;
            max = 1;
        }
        double low = Math.floor(Math.log10(min));
        double high = Math.max(low + 1, Math.ceil(Math.log10(max)));
        int left = 70;
        int top = 40;
        int plotHeight = 260;
        int barWidth = 14;
        int groupWidth = series.size() * barWidth + 24;
        int width = Math.max(520, left + groups.size() * groupWidth + 20);
        int legendY = top + plotHeight + 80;
        int height = legendY + 30;
        StringBuilder svg = header(width, height, title);
        for (int decade = (int) low; decade <= (int) high; decade++) {
            double y = top + plotHeight - (decade - low) / (high - low) * plotHeight;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
                    left, y, width - 10, y));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" %s>%s</text>%n",
                    left - 6, y + 4, FONT, format(Math.pow(10, decade))));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" font-size=\"11\" %s transform=\"rotate(-90 14 %d)\">"
                + "%s (log scale)</text>%n", top + plotHeight / 2 + 40, FONT, top + plotHeight / 2 + 40, escape(unit)));
        for (int g = 0; g < groups.size(); g++) {
            Bars group = groups.get(g);
            int x0 = left + 12 + g * groupWidth;
            for (int s = 0; s < group.values().length; s++) {
                double value = group.values()[s];
                if (value <= 0) {
                    continue;
                }
                double y = top + plotHeight - (Math.log10(value) - low) / (high - low) * plotHeight;
                svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\">"
                        + "<title>%s %s: %s %s</title></rect>%n", x0 + s * barWidth, y, barWidth - 2,
                        top + plotHeight - y, COLORS[s % COLORS.length], escape(group.label()), escape(series.get(s)),
                        format(value), escape(unit)));
            }
            label(svg, x0 + groupWidth / 2 - 12, top + plotHeight + 14, group.label());
        }
        legend(svg, left, legendY, series);
        return svg.append("</svg>\n").toString();
    }

    /** Horizontal bars on a linear scale, one per row, value printed at the end. */
    static String horizontalBars(String title, String unit, List<String> labels, double[] values) {
        double max = 0;
        for (double value : values) {
            max = Math.max(max, value);
        }
        max = max <= 0 ? 1 : max;
        int left = 300;
        int barHeight = 20;
        int top = 40;
        int plotWidth = 360;
        int width = left + plotWidth + 110;
        int height = top + labels.size() * (barHeight + 8) + 30;
        StringBuilder svg = header(width, height, title);
        for (int i = 0; i < labels.size(); i++) {
            int y = top + i * (barHeight + 8);
            double w = values[i] / max * plotWidth;
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" %s>%s</text>%n",
                    left - 6, y + 14, FONT, escape(labels.get(i))));
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>%n",
                    left, y, w, barHeight, COLORS[0]));
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" %s>%s %s</text>%n",
                    left + w + 4, y + 14, FONT, format(values[i]), escape(unit)));
        }
        return svg.append("</svg>\n").toString();
    }

    private static StringBuilder header(int width, int height, String title) {
        StringBuilder svg = new StringBuilder(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                + "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n",
                width, height, width, height));
        svg.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"22\" font-size=\"14\" font-weight=\"bold\" %s>%s</text>%n",
                FONT, escape(title)));
        return svg;
    }

    /** A category label under the axis, wrapped on " (" and ", " into at most three lines. */
    private static void label(StringBuilder svg, int x, int y, String text) {
        String[] parts = text.replace(" (", "\n(").replace(", ", ",\n").split("\n");
        for (int i = 0; i < Math.min(4, parts.length); i++) {
            svg.append(String.format(Locale.ROOT,
                    "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\" %s>%s</text>%n",
                    x + 12, y + i * 12, FONT, escape(parts[i])));
        }
    }

    private static void legend(StringBuilder svg, int x, int y, List<String> series) {
        for (int s = 0; s < series.size(); s++) {
            int lx = x + s * 90;
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>%n", lx,
                    y - 10, COLORS[s % COLORS.length]));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" %s>%s</text>%n", lx + 16, y,
                    FONT, escape(series.get(s))));
        }
    }

    static String format(double value) {
        if (value >= 100) {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        if (value >= 1) {
            return String.format(Locale.ROOT, "%.2f", value);
        }
        return String.format(Locale.ROOT, "%.3g", value);
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
