package dev.lowrank.eval.report.internal;

import dev.lowrank.eval.accuracy.AccuracyComparison;
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

/** Writes reports as GitHub-flavoured Markdown, for pull requests and CI summaries. */
public final class MarkdownReportWriter implements ReportWriter {

  @Override
  public String format() {
    return "markdown";
  }

  @Override
  public String render(EvalReport r) {
    StringBuilder md = new StringBuilder();
    md.append("### lowrank eval: `")
        .append(name(r.original().path()))
        .append("` → `")
        .append(name(r.compressed().path()))
        .append("`\n\n");
    md.append("| | original | compressed | change |\n|:--|--:|--:|--:|\n");
    row(
        md,
        "parameters",
        Fmt.count(r.params().original()),
        Fmt.count(r.params().compressed()),
        Fmt.share(r.params().ratio()) + " of original");
    row(
        md,
        "size on disk",
        Fmt.bytes(r.original().sizeBytes()),
        Fmt.bytes(r.compressed().sizeBytes()),
        r.original().sizeBytes() == 0
            ? "–"
            : Fmt.share((double) r.compressed().sizeBytes() / r.original().sizeBytes())
                + " of original");
    if (r.accuracy().isPresent()) {
      AccuracyComparison a = r.accuracy().get();
      row(
          md,
          "top-1 accuracy",
          Fmt.pct(a.original().top1()),
          Fmt.pct(a.compressed().top1()),
          "drop " + Fmt.pp(a.drop()));
      if (a.top5Drop().isPresent()) {
        row(
            md,
            "top-5 accuracy",
            Fmt.pct(a.original().top5()),
            Fmt.pct(a.compressed().top5()),
            "drop " + Fmt.pp(a.top5Drop()));
      }
    }
    row(md, "top-1 agreement", "", Fmt.pct(r.fidelity().top1Agreement()), "");
    row(md, "relative L2 error of outputs", "", Fmt.dec(r.fidelity().relativeL2Error()), "");
    for (LatencyComparison c : r.latency()) {
      row(
          md,
          "latency p50, batch " + c.batchSize(),
          Fmt.ms(c.original().p50Ms()),
          Fmt.ms(c.compressed().p50Ms()),
          Fmt.speedup(c.speedup()) + (c.speedup() >= 1 ? " faster" : " (slower)"));
    }
    md.append('\n');
    r.gate().ifPresent(g -> gate(md, g));

    md.append("<details><summary>Per-layer parameters (")
        .append(r.params().layers().size())
        .append(" layers)</summary>\n\n");
    boolean notes = r.params().layers().stream().anyMatch(l -> l.note().isPresent());
    md.append("| layer | shape | original | compressed | rank | share |")
        .append(notes ? " note |\n" : "\n");
    md.append("|:--|:--|--:|--:|--:|--:|").append(notes ? ":--|\n" : "\n");
    for (LayerParameters l : r.params().layers()) {
      md.append("| `")
          .append(l.name())
          .append("` | ")
          .append(l.layer().describe())
          .append(" | ")
          .append(Fmt.count(l.original()))
          .append(" | ")
          .append(l.compressed().isPresent() ? Fmt.count(l.compressed().getAsLong()) : "–")
          .append(" | ")
          .append(l.rankLabel().orElse("dense"))
          .append(" | ")
          .append(Fmt.share(l.ratio()))
          .append(" |")
          .append(notes ? " " + l.note().orElse("").replace("|", "\\|") + " |\n" : "\n");
    }
    md.append("\n</details>\n\n");

    if (!r.latency().isEmpty()) {
      md.append("<details><summary>Latency (ms per batch)</summary>\n\n");
      md.append(
          "| batch | original p50 | p95 | mean | compressed p50 | p95 | mean |"
              + " throughput original | compressed | speedup |\n");
      md.append("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
      for (LatencyComparison c : r.latency()) {
        md.append("| ")
            .append(c.batchSize())
            .append(" | ")
            .append(Fmt.ms(c.original().p50Ms()))
            .append(" | ")
            .append(Fmt.ms(c.original().p95Ms()))
            .append(" | ")
            .append(Fmt.ms(c.original().meanMs()))
            .append(" | ")
            .append(Fmt.ms(c.compressed().p50Ms()))
            .append(" | ")
            .append(Fmt.ms(c.compressed().p95Ms()))
            .append(" | ")
            .append(Fmt.ms(c.compressed().meanMs()))
            .append(" | ")
            .append(Fmt.rate(c.original().throughput()))
            .append(" | ")
            .append(Fmt.rate(c.compressed().throughput()))
            .append(" | ")
            .append(Fmt.speedup(c.speedup()))
            .append(" |\n");
      }
      md.append("\n</details>\n\n");
    }
    md.append("Data: ")
        .append(r.data().describe())
        .append(" · threads: ")
        .append(r.threads().intraOp())
        .append(" intra-op, ")
        .append(r.threads().interOp())
        .append(" inter-op · lowrank ")
        .append(r.toolVersion())
        .append('\n');
    return md.toString();
  }

  @Override
  public String render(SweepResult s) {
    StringBuilder md = new StringBuilder();
    md.append("### lowrank sweep: `").append(name(s.model().path())).append("`\n\n");
    sweepTable(md, s);
    md.append("\nData: ")
        .append(s.data().describe())
        .append(" · lowrank ")
        .append(s.toolVersion())
        .append('\n');
    return md.toString();
  }

  @Override
  public String render(SearchResult s) {
    StringBuilder md = new StringBuilder();
    md.append("### lowrank search: smallest `")
        .append(name(s.evaluated().model().path()))
        .append("` within a drop of ")
        .append(Fmt.pp(s.maxAccuracyDrop()))
        .append("\n\n");
    md.append(s.chosen().isPresent() ? "**Chosen:** " : "**None found:** ")
        .append(s.summary())
        .append("\n\n");
    sweepTable(md, s.evaluated());
    md.append("\nStrategy: ").append(s.strategy()).append(".\n");
    md.append("\nData: ")
        .append(s.evaluated().data().describe())
        .append(" · lowrank ")
        .append(s.evaluated().toolVersion())
        .append('\n');
    return md.toString();
  }

  private static void sweepTable(StringBuilder md, SweepResult s) {
    md.append("| setting | params | share | size | top-1 | drop | agreement | ranks |\n");
    md.append("|:--|--:|--:|--:|--:|--:|--:|:--|\n");
    md.append("| original | ")
        .append(Fmt.count(s.originalParameters()))
        .append(" | 100.0% | ")
        .append(Fmt.bytes(s.model().sizeBytes()))
        .append(" | ")
        .append(s.originalAccuracy().map(a -> Fmt.pct(a.top1())).orElse("–"))
        .append(" | | | |\n");
    for (SweepPoint p : s.byParameters()) {
      md.append("| ")
          .append(p.setting())
          .append(" | ")
          .append(Fmt.count(p.parameters()))
          .append(" | ")
          .append(Fmt.share(p.parameterRatio()))
          .append(" | ")
          .append(Fmt.bytes(p.sizeBytes()))
          .append(" | ")
          .append(p.accuracy().map(a -> Fmt.pct(a.top1())).orElse("–"))
          .append(" | ")
          .append(Fmt.pp(p.drop()))
          .append(" | ")
          .append(Fmt.pct(p.fidelity().top1Agreement()))
          .append(" | ")
          .append(p.ranks())
          .append(" |\n");
    }
  }

  private static void gate(StringBuilder md, GateVerdict g) {
    md.append(g.passed() ? "**Gate: passed** ✅\n\n" : "**Gate: failed** ❌\n\n");
    for (GateCheck c : g.checks()) {
      md.append("- ").append(c.message()).append('\n');
    }
    md.append('\n');
  }

  private static void row(StringBuilder md, String what, String a, String b, String change) {
    md.append("| ")
        .append(what)
        .append(" | ")
        .append(a)
        .append(" | ")
        .append(b)
        .append(" | ")
        .append(change)
        .append(" |\n");
  }

  private static String name(Path p) {
    Path f = p.getFileName();
    return f == null ? p.toString() : f.toString();
  }
}
