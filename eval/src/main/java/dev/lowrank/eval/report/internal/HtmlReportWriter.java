package dev.lowrank.eval.report.internal;

import static dev.lowrank.eval.report.internal.Svg.escape;

import dev.lowrank.compress.LayerSpectrum;
import dev.lowrank.eval.accuracy.AccuracyComparison;
import dev.lowrank.eval.accuracy.TradeoffPoint;
import dev.lowrank.eval.gate.GateCheck;
import dev.lowrank.eval.gate.GateVerdict;
import dev.lowrank.eval.latency.LatencyComparison;
import dev.lowrank.eval.params.LayerParameters;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.report.ReportWriter;
import dev.lowrank.eval.sweep.SearchResult;
import dev.lowrank.eval.sweep.SweepPoint;
import dev.lowrank.eval.sweep.SweepResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Writes reports as one self-contained HTML page: inline CSS and inline SVG plots, no script and no
 * external resource, so the file can be attached to a CI run or mailed.
 */
public final class HtmlReportWriter implements ReportWriter {

  /** The most layers drawn in the spectra plot (the first ones, in model order). */
  static final int MAX_SPECTRA = 10;

  private static final int PLOT_W = 540;
  private static final int PLOT_H = 360;

  private static final String CSS =
      """
      :root { --fg:#1d2430; --muted:#5b6472; --line:#e2e6ec; --ok:#137333; --bad:#b3261e; }
      * { box-sizing: border-box; }
      body { margin:0; background:#f6f7f9; color:var(--fg);
             font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; }
      main { max-width:1140px; margin:0 auto; padding:28px 24px 40px; }
      h1 { font-size:24px; margin:0 0 4px; }
      h2 { font-size:17px; margin:28px 0 10px; }
      .sub { color:var(--muted); margin:0 0 18px; word-break:break-all; }
      code { font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace; }
      .cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(200px,1fr)); gap:12px; }
      .card { background:#fff; border:1px solid var(--line); border-radius:10px; padding:14px 16px; }
      .card .k { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
      .card .v { font-size:26px; font-weight:650; margin:2px 0; }
      .card .d { color:var(--muted); font-size:12.5px; }
      .gate { margin:16px 0 0; padding:12px 16px; border-radius:10px; font-weight:600; }
      .gate.pass { background:#e6f4ea; color:var(--ok); border:1px solid #b7dfc2; }
      .gate.fail { background:#fce8e6; color:var(--bad); border:1px solid #f3b9b3; }
      .gate div { font-weight:400; color:var(--fg); margin-top:4px; }
      table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line);
              border-radius:10px; overflow:hidden; }
      th, td { padding:7px 12px; border-bottom:1px solid var(--line); text-align:right; }
      th:first-child, td:first-child { text-align:left; }
      th { background:#f0f2f5; font-weight:600; font-size:12.5px; }
      tr:last-child td { border-bottom:none; }
      td.l, th.l { text-align:left; }
      td.note { color:var(--muted); font-size:12.5px; }
      .plots { display:grid; grid-template-columns:repeat(auto-fill,minmax(460px,1fr)); gap:14px; }
      figure { margin:0; background:#fff; border:1px solid var(--line); border-radius:10px;
               padding:10px; }
      figure svg { width:100%; height:auto; display:block; }
      figcaption { color:var(--muted); font-size:12.5px; padding:4px 6px 2px; }
      footer { color:var(--muted); margin-top:28px; font-size:12.5px; }
      .chosen td { background:#e6f4ea; font-weight:600; }
      .warn { margin:0 0 16px; padding:12px 16px; border-radius:10px; background:#fef7e0;
              color:#7a4f01; border:1px solid #f5d77f; }
      p.note { color:var(--muted); font-size:12.5px; margin:6px 2px 0; }
      """;

  @Override
  public String format() {
    return "html";
  }

  @Override
  public String render(EvalReport r) {
    StringBuilder h = new StringBuilder();
    String title =
        "lowrank eval: " + name(r.original().path()) + " → " + name(r.compressed().path());
    open(h, title);
    h.append("<h1>lowrank evaluation</h1><p class=\"sub\"><code>")
        .append(escape(r.original().path().toString()))
        .append("</code> → <code>")
        .append(escape(r.compressed().path().toString()))
        .append("</code></p>");
    warnings(h, r.warnings());
    cards(h, r);
    r.gate().ifPresent(g -> gate(h, g));

    h.append("<h2>Plots</h2><section class=\"plots\">");
    if (!r.spectra().isEmpty()) {
      figure(
          h,
          spectraPlot(r),
          "Singular values of the original model's linear layers, relative to the largest"
              + " (log scale); dots mark the rank each layer has in the compressed model."
              + (r.spectra().size() > MAX_SPECTRA
                  ? " First " + MAX_SPECTRA + " of " + r.spectra().size() + " layers shown."
                  : ""));
    }
    figure(
        h,
        tradeoffPlot("tradeoff", r.tradeoff(), Optional.empty()),
        r.tradeoff().size() > 2
            ? "Accuracy against parameter count across compression settings."
            : "Accuracy against parameter count: the original and the compressed model.");
    if (!r.latency().isEmpty()) {
      figure(
          h,
          latencyPlot(r.latency()),
          "Median latency per batch (log scale); whiskers reach the 95th percentile. Measured"
              + " interleaved, "
              + r.threads().intraOp()
              + " intra-op threads.");
      figure(
          h,
          speedupPlot(r.latency()),
          "Speedup of the compressed model (original p50 / compressed p50); above the dashed"
              + " line it is faster.");
    }
    h.append("</section>");

    table(h, ReportTables.summary(r));
    ReportTables.layers(r).ifPresent(t -> table(h, t));
    ReportTables.latency(r).ifPresent(t -> table(h, t));
    footer(h, ReportTables.footer(r));
    close(h);
    return h.toString();
  }

  @Override
  public String render(SweepResult s) {
    StringBuilder h = new StringBuilder();
    open(h, "lowrank sweep: " + name(s.model().path()));
    h.append("<h1>lowrank sweep</h1><p class=\"sub\"><code>")
        .append(escape(s.model().path().toString()))
        .append("</code> on ")
        .append(escape(s.data().describe()))
        .append("</p>");
    h.append("<section class=\"plots\">");
    figure(
        h,
        tradeoffPlot("tradeoff", s.tradeoff(), Optional.empty()),
        "Accuracy against parameter count across compression settings.");
    h.append("</section>");
    table(h, ReportTables.settings(s, Optional.empty()));
    footer(h, ReportTables.footer(s));
    close(h);
    return h.toString();
  }

  @Override
  public String render(SearchResult s) {
    StringBuilder h = new StringBuilder();
    SweepResult e = s.evaluated();
    open(h, "lowrank search: " + name(e.model().path()));
    h.append("<h1>lowrank search</h1><p class=\"sub\">Smallest <code>")
        .append(escape(e.model().path().toString()))
        .append("</code> ")
        .append(escape(ReportTables.goal(s)))
        .append(" on ")
        .append(escape(e.data().describe()))
        .append("</p>");
    h.append("<div class=\"gate ")
        .append(s.chosen().isPresent() ? "pass" : "fail")
        .append("\">")
        .append(s.chosen().isPresent() ? "Chosen: " : "None found: ")
        .append(escape(s.summary()))
        .append("</div>");
    h.append("<h2>Plots</h2><section class=\"plots\">");
    figure(
        h,
        tradeoffPlot("tradeoff", e.tradeoff(), s.chosen().map(SweepPoint::setting)),
        "Accuracy against parameter count of every setting tried.");
    h.append("</section>");
    table(h, ReportTables.search(s));
    footer(h, ReportTables.footer(e));
    close(h);
    return h.toString();
  }

  private static void open(StringBuilder h, String title) {
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>")
        .append(escape(title))
        .append("</title><style>")
        .append(CSS)
        .append("</style></head><body><main>\n");
  }

  private static void close(StringBuilder h) {
    h.append("\n</main></body></html>\n");
  }

  private static void cards(StringBuilder h, EvalReport r) {
    h.append("<section class=\"cards\">");
    card(
        h,
        "Parameters",
        Fmt.share(r.params().ratio()),
        Fmt.count(r.params().original()) + " → " + Fmt.count(r.params().compressed()));
    if (r.accuracy().isPresent()) {
      AccuracyComparison a = r.accuracy().get();
      card(
          h,
          "Top-1 accuracy drop",
          Fmt.pp(a.drop()),
          Fmt.pct(a.original().top1()) + " → " + Fmt.pct(a.compressed().top1()));
    } else if (r.pooling().isPresent() && r.fidelity().meanCosine().isPresent()) {
      String min =
          r.fidelity().minCosine().isPresent()
              ? ", min " + Fmt.dec(r.fidelity().minCosine().getAsDouble())
              : "";
      card(
          h,
          "Embedding cosine",
          Fmt.dec(r.fidelity().meanCosine().getAsDouble()),
          "mean over the texts" + min + "; " + ReportTables.pooled(r.pooling().get()));
    } else {
      card(
          h,
          "Top-1 agreement",
          Fmt.pct(r.fidelity().top1Agreement()),
          "unlabeled data: compressed vs original predictions");
    }
    if (!r.latency().isEmpty()) {
      LatencyComparison first = r.latency().get(0);
      card(
          h,
          "Speedup, batch " + first.batchSize(),
          Fmt.speedup(first.speedup()),
          Fmt.ms(first.original().p50Ms()) + " → " + Fmt.ms(first.compressed().p50Ms()) + " p50");
    }
    card(
        h,
        "Size on disk",
        ReportTables.sizeShare(r).orElse(Table.NONE),
        Fmt.bytes(r.original().sizeBytes()) + " → " + Fmt.bytes(r.compressed().sizeBytes()));
    h.append("</section>");
  }

  private static void card(StringBuilder h, String key, String value, String detail) {
    h.append("<div class=\"card\"><div class=\"k\">")
        .append(escape(key))
        .append("</div><div class=\"v\">")
        .append(escape(value))
        .append("</div><div class=\"d\">")
        .append(escape(detail))
        .append("</div></div>");
  }

  private static void gate(StringBuilder h, GateVerdict g) {
    h.append("<div class=\"gate ")
        .append(g.passed() ? "pass" : "fail")
        .append("\">Gate ")
        .append(g.passed() ? "passed" : "failed");
    for (GateCheck c : g.checks()) {
      h.append("<div>").append(escape(c.message())).append("</div>");
    }
    h.append("</div>");
  }

  private static void figure(StringBuilder h, String svg, String caption) {
    h.append("<figure>")
        .append(svg)
        .append("<figcaption>")
        .append(escape(caption))
        .append("</figcaption></figure>");
  }

  private static String spectraPlot(EvalReport r) {
    Plot plot = new Plot("spectra", "Singular value spectra", "index i", "s_i / s_1").logY();
    List<LayerSpectrum> shown = r.spectra().subList(0, Math.min(MAX_SPECTRA, r.spectra().size()));
    List<double[]> marks = new ArrayList<>();
    for (int k = 0; k < shown.size(); k++) {
      LayerSpectrum s = shown.get(k);
      float[] v = s.singularValues();
      double top = v.length > 0 && v[0] > 0 ? v[0] : 1;
      List<Double> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (int i = 0; i < v.length; i++) {
        if (v[i] > 0) {
          xs.add((double) (i + 1));
          ys.add(v[i] / top);
        }
      }
      String rank = "dense";
      for (LayerParameters l : r.params().layers()) {
        if (l.name().equals(s.layer().name()) && l.rank().isPresent()) {
          int rk = l.rank().getAsInt();
          rank = "r=" + rk;
          if (rk >= 1 && rk <= v.length && v[rk - 1] > 0) {
            marks.add(new double[] {rk, v[rk - 1] / top, k});
          }
        }
      }
      plot.series(
          s.layer().name() + " " + s.layer().shape() + ", " + rank,
          toArray(xs),
          toArray(ys),
          v.length > 16 ? Plot.Style.LINE : Plot.Style.LINE_MARKERS,
          Plot.COLORS.get(k % Plot.COLORS.size()));
    }
    for (double[] m : marks) {
      plot.series(
          "",
          new double[] {m[0]},
          new double[] {m[1]},
          Plot.Style.MARKERS,
          Plot.COLORS.get((int) m[2] % Plot.COLORS.size()));
    }
    return plot.toSvg(PLOT_W, PLOT_H);
  }

  private static String tradeoffPlot(
      String id, List<TradeoffPoint> points, Optional<String> highlight) {
    boolean labeled = points.stream().allMatch(p -> p.accuracy().isPresent());
    Plot plot =
        new Plot(
                id,
                labeled ? "Accuracy vs parameters" : "Agreement vs parameters",
                "parameters",
                labeled ? "top-1 accuracy (%)" : "top-1 agreement with original (%)")
            .xFromZero()
            .yMinSpan(5);
    List<TradeoffPoint> compressed =
        points.stream()
            .filter(p -> !p.original())
            .sorted(Comparator.comparingLong(TradeoffPoint::parameters))
            .toList();
    List<TradeoffPoint> originals = points.stream().filter(TradeoffPoint::original).toList();
    if (!compressed.isEmpty()) {
      plot.labeledSeries(
          "compressed",
          compressed.stream().mapToDouble(TradeoffPoint::parameters).toArray(),
          compressed.stream().mapToDouble(p -> 100 * y(p, labeled)).toArray(),
          compressed.stream().map(TradeoffPoint::label).toList(),
          compressed.size() > 1 ? Plot.Style.LINE_MARKERS : Plot.Style.MARKERS,
          Plot.COLORS.get(0),
          4.5);
    }
    if (!originals.isEmpty()) {
      plot.labeledSeries(
          "original",
          originals.stream().mapToDouble(TradeoffPoint::parameters).toArray(),
          originals.stream().mapToDouble(p -> 100 * y(p, labeled)).toArray(),
          originals.stream().map(TradeoffPoint::label).toList(),
          Plot.Style.MARKERS,
          Plot.COLORS.get(1),
          6);
    }
    highlight.ifPresent(
        label ->
            compressed.stream()
                .filter(p -> p.label().equals(label))
                .findFirst()
                .ifPresent(
                    p ->
                        plot.labeledSeries(
                            "chosen",
                            new double[] {p.parameters()},
                            new double[] {100 * y(p, labeled)},
                            List.of(p.label()),
                            Plot.Style.MARKERS,
                            Plot.COLORS.get(2),
                            7)));
    return plot.toSvg(PLOT_W, PLOT_H);
  }

  private static double y(TradeoffPoint p, boolean labeled) {
    return labeled ? p.accuracy().getAsDouble() : p.agreement();
  }

  private static String latencyPlot(List<LatencyComparison> latency) {
    List<String> cats = latency.stream().map(c -> Integer.toString(c.batchSize())).toList();
    double[] xs = new double[latency.size()];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = i;
    }
    return new Plot("latency", "Latency per batch size", "batch size", "ms per batch (p50)")
        .logY()
        .categories(cats)
        .seriesWithWhiskers(
            "original",
            xs,
            latency.stream().mapToDouble(c -> c.original().p50Ms()).toArray(),
            latency.stream().mapToDouble(c -> c.original().p95Ms()).toArray(),
            Plot.Style.LINE_MARKERS)
        .seriesWithWhiskers(
            "compressed",
            xs,
            latency.stream().mapToDouble(c -> c.compressed().p50Ms()).toArray(),
            latency.stream().mapToDouble(c -> c.compressed().p95Ms()).toArray(),
            Plot.Style.LINE_MARKERS)
        .toSvg(PLOT_W, PLOT_H);
  }

  private static String speedupPlot(List<LatencyComparison> latency) {
    List<String> cats = latency.stream().map(c -> Integer.toString(c.batchSize())).toList();
    double[] xs = new double[latency.size()];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = i;
    }
    return new Plot("speedup", "Speedup per batch size", "batch size", "speedup (x)")
        .categories(cats)
        .referenceLine(1.0)
        .series(
            "compressed vs original",
            xs,
            latency.stream().mapToDouble(LatencyComparison::speedup).toArray(),
            Plot.Style.BARS,
            Plot.COLORS.get(2))
        .toSvg(PLOT_W, PLOT_H);
  }

  /** Renders a table: its title as a heading, then the table and its notes. */
  static void table(StringBuilder h, Table t) {
    h.append("<h2>").append(escape(t.title())).append("</h2><table><tr>");
    for (Table.Column c : t.columns()) {
      h.append(c.align() == Table.Align.LEFT ? "<th class=\"l\">" : "<th>")
          .append(escape(c.header()))
          .append("</th>");
    }
    h.append("</tr>");
    for (Table.Row r : t.rows()) {
      h.append(r.highlighted() ? "<tr class=\"chosen\">" : "<tr>");
      for (int i = 0; i < t.columns().size(); i++) {
        Table.Column c = t.columns().get(i);
        String v = escape(Table.oneLine(r.cells().get(i)));
        List<String> classes = new ArrayList<>();
        if (c.align() == Table.Align.LEFT) {
          classes.add("l");
        }
        if (c.style() == Table.Style.MUTED) {
          classes.add("note");
        }
        h.append(classes.isEmpty() ? "<td>" : "<td class=\"" + String.join(" ", classes) + "\">")
            .append(c.style() == Table.Style.CODE && !v.isEmpty() ? "<code>" + v + "</code>" : v)
            .append("</td>");
      }
      h.append("</tr>");
    }
    h.append("</table>");
    for (String note : t.notes()) {
      h.append("<p class=\"note\">").append(escape(note)).append("</p>");
    }
  }

  private static void warnings(StringBuilder h, List<String> warnings) {
    for (String w : warnings) {
      h.append("<div class=\"warn\">Warning: ").append(escape(w)).append("</div>");
    }
  }

  private static void footer(StringBuilder h, List<String> facts) {
    h.append("<footer>").append(escape(String.join(" · ", facts))).append("</footer>");
  }

  private static double[] toArray(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static String name(Path p) {
    Path f = p.getFileName();
    return f == null ? p.toString() : f.toString();
  }
}
