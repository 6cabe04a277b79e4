package dev.lowrank.eval.report.internal;

import dev.lowrank.eval.accuracy.AccuracyComparison;
import dev.lowrank.eval.gate.GateCheck;
import dev.lowrank.eval.latency.LatencyComparison;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.report.ReportWriter;
import dev.lowrank.eval.sweep.SearchResult;
import dev.lowrank.eval.sweep.SweepPoint;
import dev.lowrank.eval.sweep.SweepResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Writes reports as plain text for a terminal: a few aligned lines, then tables for sweeps. */
public final class TextReportWriter implements ReportWriter {

  @Override
  public String format() {
    return "text";
  }

  @Override
  public String render(EvalReport r) {
    List<String[]> rows = new ArrayList<>();
    rows.add(
        row(
            "parameters",
            Fmt.count(r.params().original())
                + " -> "
                + Fmt.count(r.params().compressed())
                + " ("
                + Fmt.share(r.params().ratio())
                + ")"));
    rows.add(
        row(
            "size on disk",
            Fmt.bytes(r.original().sizeBytes())
                + " -> "
                + Fmt.bytes(r.compressed().sizeBytes())
                + (r.original().sizeBytes() == 0
                    ? ""
                    : " ("
                        + Fmt.share((double) r.compressed().sizeBytes() / r.original().sizeBytes())
                        + ")")));
    if (r.accuracy().isPresent()) {
      AccuracyComparison a = r.accuracy().get();
      rows.add(
          row(
              "top-1 accuracy",
              Fmt.pct(a.original().top1())
                  + " -> "
                  + Fmt.pct(a.compressed().top1())
                  + " (drop "
                  + Fmt.pp(a.drop())
                  + ")"));
      if (a.top5Drop().isPresent()) {
        rows.add(
            row(
                "top-5 accuracy",
                Fmt.pct(a.original().top5())
                    + " -> "
                    + Fmt.pct(a.compressed().top5())
                    + " (drop "
                    + Fmt.pp(a.top5Drop())
                    + ")"));
      }
    }
    rows.add(
        row(
            "fidelity",
            Fmt.pct(r.fidelity().top1Agreement())
                + " top-1 agreement, relative L2 error "
                + Fmt.dec(r.fidelity().relativeL2Error())));
    for (LatencyComparison c : r.latency()) {
      rows.add(
          row(
              "latency, batch " + c.batchSize(),
              String.format(
                  Locale.ROOT,
                  "p50 %s -> %s (%s), p95 %s -> %s, %s -> %s samples",
                  Fmt.ms(c.original().p50Ms()),
                  Fmt.ms(c.compressed().p50Ms()),
                  Fmt.speedup(c.speedup()),
                  Fmt.ms(c.original().p95Ms()),
                  Fmt.ms(c.compressed().p95Ms()),
                  Fmt.rate(c.original().throughput()),
                  Fmt.rate(c.compressed().throughput()))));
    }
    rows.add(
        row(
            "threads",
            r.threads().intraOp() + " intra-op, " + r.threads().interOp() + " inter-op"));
    rows.add(row("data", r.data().describe()));
    r.gate()
        .ifPresent(
            g -> {
              for (GateCheck c : g.checks()) {
                rows.add(row(c.passed() ? "gate: passed" : "gate: FAILED", c.message()));
              }
            });
    return align(rows);
  }

  @Override
  public String render(SweepResult s) {
    return table(s);
  }

  @Override
  public String render(SearchResult s) {
    return table(s.evaluated())
        + (s.chosen().isPresent() ? "chosen: " : "none: ")
        + s.summary()
        + "\n";
  }

  private static String table(SweepResult s) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"setting", "ranks", "params", "share", "top-1", "drop", "agreement"});
    rows.add(
        new String[] {
          "original",
          "",
          Fmt.count(s.originalParameters()),
          "100.0%",
          s.originalAccuracy().map(a -> Fmt.pct(a.top1())).orElse("-"),
          "",
          ""
        });
    for (SweepPoint p : s.byParameters()) {
      rows.add(
          new String[] {
            p.setting(),
            p.ranks(),
            Fmt.count(p.parameters()),
            Fmt.share(p.parameterRatio()),
            p.accuracy().map(a -> Fmt.pct(a.top1())).orElse("-"),
            Fmt.pp(p.drop()),
            Fmt.pct(p.fidelity().top1Agreement())
          });
    }
    int cols = rows.get(0).length;
    int[] width = new int[cols];
    for (String[] r : rows) {
      for (int c = 0; c < cols; c++) {
        width[c] = Math.max(width[c], r[c].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < cols; c++) {
        String cell = c < 2 ? pad(r[c], width[c]) : leftPad(r[c], width[c]);
        line.append(c > 0 ? "  " : "").append(cell);
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    return sb.toString();
  }

  private static String[] row(String key, String value) {
    return new String[] {key, value};
  }

  private static String align(List<String[]> rows) {
    int w = rows.stream().mapToInt(r -> r[0].length()).max().orElse(0);
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) {
      sb.append(pad(r[0], w)).append("  ").append(r[1]).append('\n');
    }
    return sb.toString();
  }

  private static String pad(String s, int w) {
    return s + " ".repeat(Math.max(0, w - s.length()));
  }

  private static String leftPad(String s, int w) {
    return " ".repeat(Math.max(0, w - s.length())) + s;
  }
}
