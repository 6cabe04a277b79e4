package dev.lowrank.eval.report.internal;

import static dev.lowrank.eval.report.internal.Svg.escape;
import static dev.lowrank.eval.report.internal.Svg.num;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A small self-contained SVG plot: line, scatter and grouped bar series on linear, log or category
 * axes, with ticks, grid, axis labels, a title and a legend. No script, no external resource.
 */
public final class Plot {

  /** How a series is drawn. */
  public enum Style {
    /** Lines between points. */
    LINE,
    /** Points only. */
    MARKERS,
    /** Lines and points. */
    LINE_MARKERS,
    /** Bars, grouped per category. */
    BARS
  }

  /** The default series colors (colorblind-friendly order). */
  public static final List<String> COLORS =
      List.of(
          "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf");

  private static final String FONT = "font-family=\"system-ui,-apple-system,Segoe UI,sans-serif\"";

  private record Series(
      String name,
      double[] xs,
      double[] ys,
      Style style,
      String color,
      Optional<double[]> upper,
      Optional<List<String>> labels,
      double markerSize) {}

  private final String id;
  private final String title;
  private final String xLabel;
  private final String yLabel;
  private Axis.Kind xKind = Axis.Kind.LINEAR;
  private Axis.Kind yKind = Axis.Kind.LINEAR;
  private List<String> categories = List.of();
  private boolean xZero;
  private boolean yZero;
  private double yMinSpan;
  private final List<Series> series = new ArrayList<>();
  private final List<double[]> hlines = new ArrayList<>();

  /**
   * Starts a plot.
   *
   * @param id the SVG element id (also its CSS class suffix)
   * @param title the title
   * @param xLabel the x axis label
   * @param yLabel the y axis label
   */
  public Plot(String id, String title, String xLabel, String yLabel) {
    this.id = id;
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
  }

  /**
   * Uses a log10 y axis.
   *
   * @return this plot
   */
  public Plot logY() {
    yKind = Axis.Kind.LOG;
    return this;
  }

  /**
   * Starts the x axis at zero (linear axes).
   *
   * @return this plot
   */
  public Plot xFromZero() {
    xZero = true;
    return this;
  }

  /**
   * Starts the y axis at zero (linear axes).
   *
   * @return this plot
   */
  public Plot yFromZero() {
    yZero = true;
    return this;
  }

  /**
   * Makes the y axis span at least {@code span} (extending downwards, not below zero), so that
   * small differences are not blown up to the plot's full height.
   *
   * @param span the least span in y units
   * @return this plot
   */
  public Plot yMinSpan(double span) {
    yMinSpan = span;
    return this;
  }

  /**
   * Uses a category x axis; series x values are then category indices.
   *
   * @param names the category names
   * @return this plot
   */
  public Plot categories(List<String> names) {
    xKind = Axis.Kind.CATEGORY;
    categories = List.copyOf(names);
    return this;
  }

  /**
   * Adds a series in the next default color.
   *
   * @param name the legend name, empty for none
   * @param xs x values
   * @param ys y values
   * @param style how to draw it
   * @return this plot
   */
  public Plot series(String name, double[] xs, double[] ys, Style style) {
    return series(name, xs, ys, style, COLORS.get(series.size() % COLORS.size()));
  }

  /**
   * Adds a series in a given color.
   *
   * @param name the legend name, empty for none
   * @param xs x values
   * @param ys y values
   * @param style how to draw it
   * @param color a CSS color
   * @return this plot
   */
  public Plot series(String name, double[] xs, double[] ys, Style style, String color) {
    series.add(
        new Series(
            name,
            xs,
            ys,
            style,
            color,
            Optional.empty(),
            Optional.empty(),
            style == Style.MARKERS ? 5 : 3));
    return this;
  }

  /**
   * Adds a series with whiskers from each point up to a second value (e.g. p50 to p95).
   *
   * @param name the legend name
   * @param xs x values
   * @param ys y values
   * @param upper the whisker ends
   * @param style how to draw the points
   * @return this plot
   */
  public Plot seriesWithWhiskers(
      String name, double[] xs, double[] ys, double[] upper, Style style) {
    series.add(
        new Series(
            name,
            xs,
            ys,
            style,
            COLORS.get(series.size() % COLORS.size()),
            Optional.of(upper),
            Optional.empty(),
            3.5));
    return this;
  }

  /**
   * Adds a labeled point series (each point annotated with its text).
   *
   * @param name the legend name
   * @param xs x values
   * @param ys y values
   * @param labels one text per point
   * @param style how to draw it
   * @param color a CSS color
   * @param markerSize the marker radius in pixels
   * @return this plot
   */
  public Plot labeledSeries(
      String name,
      double[] xs,
      double[] ys,
      List<String> labels,
      Style style,
      String color,
      double markerSize) {
    series.add(
        new Series(name, xs, ys, style, color, Optional.empty(), Optional.of(labels), markerSize));
    return this;
  }

  /**
   * Adds a dashed horizontal reference line.
   *
   * @param y the value
   * @return this plot
   */
  public Plot referenceLine(double y) {
    hlines.add(new double[] {y});
    return this;
  }

  /**
   * Renders the plot.
   *
   * @param width the width in pixels
   * @param plotHeight the height in pixels with a one-row legend; each further legend row adds 18
   * @return an {@code <svg>} element
   */
  public String toSvg(int width, int plotHeight) {
    List<Series> legend = series.stream().filter(s -> !s.name.isEmpty()).toList();
    int legendRows = legendRows(legend, width);
    // The legend adds height rather than taking it from the plot area.
    int height = plotHeight + Math.max(0, legendRows - 1) * 18;
    double left = 72;
    double right = 24;
    double top = 40 + legendRows * 18;
    double bottom = 52;
    double pw = width - left - right;
    double ph = height - top - bottom;
    Axis x = xAxis();
    Axis y = yAxis();
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot plot-%s\" id=\"%s\""
                + " viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\""
                + " aria-label=\"%s\" %s>",
            escape(id), escape(id), width, height, width, height, escape(title), FONT));
    sb.append("<title>").append(escape(title)).append("</title>");
    sb.append(
        String.format(
            "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>", width, height));
    sb.append(
        String.format(
            "<text x=\"%s\" y=\"22\" font-size=\"15\" font-weight=\"600\" fill=\"#222\">%s</text>",
            num(left), escape(title)));
    drawLegend(sb, legend, left, width - right);
    // Grid and ticks.
    for (int i = 0; i < y.ticks.size(); i++) {
      double py = top + ph * (1 - y.fraction(y.ticks.get(i)));
      sb.append(
          String.format(
              "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#e3e3e3\"/>",
              num(left), num(py), num(left + pw), num(py)));
      sb.append(
          String.format(
              "<text x=\"%s\" y=\"%s\" font-size=\"11\" fill=\"#444\" text-anchor=\"end\">%s</text>",
              num(left - 6), num(py + 4), escape(y.label(i))));
    }
    for (int i = 0; i < x.ticks.size(); i++) {
      double px = left + pw * x.fraction(x.ticks.get(i));
      if (x.kind != Axis.Kind.CATEGORY) {
        sb.append(
            String.format(
                "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#eeeeee\"/>",
                num(px), num(top), num(px), num(top + ph)));
      }
      sb.append(
          String.format(
              "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#444\"/>",
              num(px), num(top + ph), num(px), num(top + ph + 5)));
      sb.append(
          String.format(
              "<text x=\"%s\" y=\"%s\" font-size=\"11\" fill=\"#444\""
                  + " text-anchor=\"middle\">%s</text>",
              num(px), num(top + ph + 18), escape(x.label(i))));
    }
    // Axes.
    sb.append(
        String.format(
            "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#444\"/>",
            num(left), num(top + ph), num(left + pw), num(top + ph)));
    sb.append(
        String.format(
            "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#444\"/>",
            num(left), num(top), num(left), num(top + ph)));
    sb.append(
        String.format(
            "<text x=\"%s\" y=\"%s\" font-size=\"12\" fill=\"#222\""
                + " text-anchor=\"middle\">%s</text>",
            num(left + pw / 2), num(height - 12), escape(xLabel)));
    sb.append(
        String.format(
            "<text x=\"0\" y=\"0\" font-size=\"12\" fill=\"#222\" text-anchor=\"middle\""
                + " transform=\"translate(%s,%s) rotate(-90)\">%s</text>",
            num(16), num(top + ph / 2), escape(yLabel)));
    for (double[] h : hlines) {
      double py = top + ph * (1 - y.fraction(h[0]));
      sb.append(
          String.format(
              "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#888\""
                  + " stroke-dasharray=\"5,4\"/>",
              num(left), num(py), num(left + pw), num(py)));
    }
    drawSeries(sb, x, y, left, top, pw, ph);
    sb.append("</svg>");
    return sb.toString();
  }

  private void drawSeries(
      StringBuilder sb, Axis x, Axis y, double left, double top, double pw, double ph) {
    List<Series> bars = series.stream().filter(s -> s.style == Style.BARS).toList();
    double band = x.kind == Axis.Kind.CATEGORY ? pw / Math.max(1, categories.size()) : 0;
    double barWidth = bars.isEmpty() ? 0 : band * 0.7 / bars.size();
    double base = top + ph * (1 - y.fraction(y.kind == Axis.Kind.LOG ? y.min : Math.max(0, y.min)));
    List<PendingLabel> labels = new ArrayList<>();
    for (Series s : series) {
      sb.append("<g class=\"series\" data-name=\"").append(escape(s.name)).append("\">");
      if (s.style == Style.BARS) {
        int k = bars.indexOf(s);
        for (int i = 0; i < s.xs.length; i++) {
          double cx = left + pw * x.fraction(s.xs[i]);
          double bx = cx - band * 0.35 + k * barWidth;
          double py = top + ph * (1 - y.fraction(s.ys[i]));
          sb.append(
              String.format(
                  "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\"><title>%s</title>"
                      + "</rect>",
                  num(bx),
                  num(Math.min(py, base)),
                  num(Math.max(1, barWidth - 2)),
                  num(Math.abs(base - py)),
                  s.color,
                  escape(s.name + ": " + Axis.format(s.ys[i], 0.01))));
        }
        sb.append("</g>");
        continue;
      }
      double[] px = new double[s.xs.length];
      double[] py = new double[s.xs.length];
      for (int i = 0; i < s.xs.length; i++) {
        px[i] = left + pw * x.fraction(s.xs[i]);
        py[i] = top + ph * (1 - y.fraction(s.ys[i]));
      }
      if (s.upper.isPresent()) {
        for (int i = 0; i < px.length; i++) {
          double uy = top + ph * (1 - y.fraction(s.upper.get()[i]));
          sb.append(
              String.format(
                  "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\""
                      + " stroke-width=\"1.5\"/><line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\""
                      + " stroke=\"%s\" stroke-width=\"1.5\"/>",
                  num(px[i]),
                  num(py[i]),
                  num(px[i]),
                  num(uy),
                  s.color,
                  num(px[i] - 4),
                  num(uy),
                  num(px[i] + 4),
                  num(uy),
                  s.color));
        }
      }
      if ((s.style == Style.LINE || s.style == Style.LINE_MARKERS) && px.length > 1) {
        StringBuilder points = new StringBuilder();
        for (int i = 0; i < px.length; i++) {
          points.append(i > 0 ? " " : "").append(num(px[i])).append(',').append(num(py[i]));
        }
        sb.append(
            String.format(
                "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\""
                    + " stroke-linejoin=\"round\"/>",
                points, s.color));
      }
      if (s.style == Style.MARKERS || s.style == Style.LINE_MARKERS) {
        for (int i = 0; i < px.length; i++) {
          sb.append(
              String.format(
                  "<circle cx=\"%s\" cy=\"%s\" r=\"%s\" fill=\"%s\" stroke=\"#ffffff\""
                      + " stroke-width=\"1\"/>",
                  num(px[i]), num(py[i]), num(s.markerSize), s.color));
        }
      }
      if (s.labels.isPresent()) {
        for (int i = 0; i < px.length; i++) {
          labels.add(new PendingLabel(s.labels.get().get(i), px[i], py[i], s.markerSize));
        }
      }
      sb.append("</g>");
    }
    // Labels of bigger markers (the original, the chosen setting) get the first pick of spots.
    labels.sort((a, b) -> Double.compare(b.priority(), a.priority()));
    List<double[]> placed = new ArrayList<>();
    Set<String> done = new HashSet<>();
    for (PendingLabel l : labels) {
      if (done.add(l.text())) {
        placeLabel(sb, l.text(), l.x(), l.y(), left, top, pw, ph, placed);
      }
    }
  }

  private record PendingLabel(String text, double x, double y, double priority) {}

  /**
   * Writes a point's label at the first of four spots around it (right above, right below, left
   * above, left below) that stays inside the plot and clear of labels already placed; a label with
   * no free spot is left out (the point and the report's table still show it).
   */
  private static void placeLabel(
      StringBuilder sb,
      String text,
      double x,
      double y,
      double left,
      double top,
      double pw,
      double ph,
      List<double[]> placed) {
    if (text.isEmpty()) {
      return;
    }
    double w = 6.2 * text.length();
    double h = 12;
    double[][] spots = {
      {x + 8, y - 7 - h}, {x + 8, y + 7}, {x - 8 - w, y - 7 - h}, {x - 8 - w, y + 7}
    };
    for (double[] spot : spots) {
      double[] box = {spot[0], spot[1], spot[0] + w, spot[1] + h};
      boolean inside =
          box[0] >= left && box[2] <= left + pw + 20 && box[1] >= top - 14 && box[3] <= top + ph;
      boolean free = true;
      for (double[] other : placed) {
        if (box[0] < other[2] && other[0] < box[2] && box[1] < other[3] && other[1] < box[3]) {
          free = false;
          break;
        }
      }
      if (inside && free) {
        placed.add(box);
        sb.append(
            String.format(
                "<text x=\"%s\" y=\"%s\" font-size=\"11\" fill=\"#333\">%s</text>",
                num(box[0]), num(box[3] - 2), escape(text)));
        return;
      }
    }
  }

  private void drawLegend(StringBuilder sb, List<Series> legend, double left, double maxX) {
    double lx = left;
    double ly = 40;
    for (Series s : legend) {
      double w = 26 + 6.5 * s.name.length();
      if (lx + w > maxX && lx > left) {
        lx = left;
        ly += 18;
      }
      if (s.style == Style.BARS) {
        sb.append(
            String.format(
                "<rect x=\"%s\" y=\"%s\" width=\"14\" height=\"10\" fill=\"%s\"/>",
                num(lx), num(ly - 9), s.color));
      } else {
        sb.append(
            String.format(
                "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"2\"/>"
                    + "<circle cx=\"%s\" cy=\"%s\" r=\"3\" fill=\"%s\"/>",
                num(lx),
                num(ly - 4),
                num(lx + 16),
                num(ly - 4),
                s.color,
                num(lx + 8),
                num(ly - 4),
                s.color));
      }
      sb.append(
          String.format(
              "<text x=\"%s\" y=\"%s\" font-size=\"11\" fill=\"#333\">%s</text>",
              num(lx + 20), num(ly), escape(s.name)));
      lx += w;
    }
  }

  private static int legendRows(List<Series> legend, int width) {
    if (legend.isEmpty()) {
      return 0;
    }
    int rows = 1;
    double lx = 72;
    for (Series s : legend) {
      double w = 26 + 6.5 * s.name.length();
      if (lx + w > width - 24 && lx > 72) {
        rows++;
        lx = 72;
      }
      lx += w;
    }
    return rows;
  }

  private Axis xAxis() {
    if (xKind == Axis.Kind.CATEGORY) {
      return Axis.categories(categories);
    }
    double[] r = range(true);
    return xKind == Axis.Kind.LOG ? Axis.log(r[0], r[1]) : Axis.linear(r[0], r[1], xZero);
  }

  private Axis yAxis() {
    double[] r = range(false);
    for (double[] h : hlines) {
      r[0] = Math.min(r[0], h[0]);
      r[1] = Math.max(r[1], h[0]);
    }
    if (r[1] - r[0] < yMinSpan) {
      r[0] = Math.max(Math.min(0, r[0]), r[1] - yMinSpan);
    }
    boolean bars = series.stream().anyMatch(s -> s.style == Style.BARS);
    if (yKind == Axis.Kind.LOG) {
      return Axis.log(r[0], r[1]);
    }
    return Axis.linear(r[0], r[1], yZero || bars);
  }

  private double[] range(boolean xs) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      double[] v = xs ? s.xs : s.ys;
      for (double d : v) {
        if (Double.isFinite(d) && (!(xs ? xKind : yKind).equals(Axis.Kind.LOG) || d > 0)) {
          lo = Math.min(lo, d);
          hi = Math.max(hi, d);
        }
      }
      if (!xs && s.upper.isPresent()) {
        for (double d : s.upper.get()) {
          if (Double.isFinite(d)) {
            hi = Math.max(hi, d);
          }
        }
      }
    }
    if (lo > hi) {
      return new double[] {0, 1};
    }
    return new double[] {lo, hi};
  }
}
