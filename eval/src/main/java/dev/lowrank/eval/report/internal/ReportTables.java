package dev.lowrank.eval.report.internal;

import static dev.lowrank.eval.report.internal.Table.Align.LEFT;
import static dev.lowrank.eval.report.internal.Table.Align.RIGHT;

import dev.lowrank.eval.accuracy.AccuracyComparison;
import dev.lowrank.eval.accuracy.Fidelity;
import dev.lowrank.eval.gate.GateCheck;
import dev.lowrank.eval.latency.LatencyComparison;
import dev.lowrank.eval.params.LayerParameters;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.sweep.FidelityMetric;
import dev.lowrank.eval.sweep.SearchCriterion;
import dev.lowrank.eval.sweep.SearchResult;
import dev.lowrank.eval.sweep.SweepPoint;
import dev.lowrank.eval.sweep.SweepResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The tables of every report, made once for all writers: what each table holds and how each figure
 * is worded lives here; the writers decide only where a table goes and how it is drawn.
 *
 * <ul>
 *   <li>{@link #summary}: the headline figures, original against compressed (Markdown, HTML);
 *   <li>{@link #figures}: the same figures one line each, with the threads, the data, the gate and
 *       the warnings (the terminal's and the text report's body);
 *   <li>{@link #layers}: parameters per linear layer; {@link #latency}: latency per batch size;
 *   <li>{@link #settings}: a sweep's settings; {@link #search}: a search's, its answer highlighted.
 * </ul>
 */
final class ReportTables {

  private ReportTables() {}

  /**
   * Returns the headline figures: parameters, size, accuracy, fidelity and median latency, each as
   * original, compressed and the change.
   *
   * @param r the report
   * @return the summary table
   */
  static Table summary(EvalReport r) {
    Table.Builder t =
        Table.builder("Summary")
            .column("", LEFT)
            .column("original", RIGHT)
            .column("compressed", RIGHT)
            .column("change", RIGHT);
    t.row(
        "parameters",
        Fmt.count(r.params().original()),
        Fmt.count(r.params().compressed()),
        Fmt.share(r.params().ratio()) + " of original");
    t.row(
        "size on disk",
        Fmt.bytes(r.original().sizeBytes()),
        Fmt.bytes(r.compressed().sizeBytes()),
        sizeShare(r).map(s -> s + " of original").orElse(Table.NONE));
    r.accuracy()
        .ifPresent(
            a -> {
              t.row(
                  "top-1 accuracy",
                  Fmt.pct(a.original().top1()),
                  Fmt.pct(a.compressed().top1()),
                  "drop " + Fmt.pp(a.drop()));
              if (a.top5Drop().isPresent()) {
                t.row(
                    "top-5 accuracy",
                    Fmt.pct(a.original().top5()),
                    Fmt.pct(a.compressed().top5()),
                    "drop " + Fmt.pp(a.top5Drop()));
              }
            });
    if (r.pooling().isEmpty()) {
      t.row("top-1 agreement", "", Fmt.pct(r.fidelity().top1Agreement()), "");
    }
    t.row(
        "relative L2 error of " + outputs(r.pooling()),
        "",
        Fmt.dec(r.fidelity().relativeL2Error()),
        "");
    cosine(r.fidelity())
        .ifPresent(
            c -> t.row("cosine of " + outputs(r.pooling()) + " to the original's", "", c, ""));
    for (LatencyComparison c : r.latency()) {
      t.row(
          "latency p50, batch " + c.batchSize(),
          Fmt.ms(c.original().p50Ms()),
          Fmt.ms(c.compressed().p50Ms()),
          Fmt.speedup(c.speedup()) + (c.speedup() >= 1 ? " faster" : " (slower)"));
    }
    return t.build();
  }

  /**
   * Returns the headline figures one line each, for a terminal: the warnings, parameters, size,
   * accuracy, fidelity, latency per batch size, threads, data and the gate's checks. A table of two
   * columns without a header.
   *
   * @param r the report
   * @return the figures
   */
  static Table figures(EvalReport r) {
    Table.Builder t = Table.builder("Figures").column("", LEFT).column("", LEFT);
    for (String w : r.warnings()) {
      t.row("warning", w);
    }
    t.row(
        "parameters",
        Fmt.count(r.params().original())
            + " -> "
            + Fmt.count(r.params().compressed())
            + " ("
            + Fmt.share(r.params().ratio())
            + ")");
    t.row(
        "size on disk",
        Fmt.bytes(r.original().sizeBytes())
            + " -> "
            + Fmt.bytes(r.compressed().sizeBytes())
            + sizeShare(r).map(s -> " (" + s + ")").orElse(""));
    if (r.accuracy().isPresent()) {
      AccuracyComparison a = r.accuracy().get();
      t.row(
          "top-1 accuracy",
          Fmt.pct(a.original().top1())
              + " -> "
              + Fmt.pct(a.compressed().top1())
              + " (drop "
              + Fmt.pp(a.drop())
              + ")");
      if (a.top5Drop().isPresent()) {
        t.row(
            "top-5 accuracy",
            Fmt.pct(a.original().top5())
                + " -> "
                + Fmt.pct(a.compressed().top5())
                + " (drop "
                + Fmt.pp(a.top5Drop())
                + ")");
      }
    }
    r.pooling().ifPresent(p -> t.row("outputs", pooled(p) + ", " + r.outputs() + " values each"));
    if (r.pooling().isPresent() && cosine(r.fidelity()).isPresent()) {
      // Embeddings have no classes: the largest of their values agreeing says nothing.
      t.row(
          "fidelity",
          "cosine "
              + cosine(r.fidelity()).get()
              + ", relative L2 error "
              + Fmt.dec(r.fidelity().relativeL2Error()));
    } else {
      t.row(
          "fidelity",
          Fmt.pct(r.fidelity().top1Agreement())
              + " top-1 agreement, relative L2 error "
              + Fmt.dec(r.fidelity().relativeL2Error())
              + cosine(r.fidelity()).map(c -> ", cosine " + c).orElse(""));
    }
    for (LatencyComparison c : r.latency()) {
      t.row(
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
              Fmt.rate(c.compressed().throughput())));
    }
    t.row("threads", threads(r));
    t.row("data", r.data().describe());
    r.gate()
        .ifPresent(
            g -> {
              for (GateCheck c : g.checks()) {
                t.row(c.passed() ? "gate: passed" : "gate: FAILED", c.message());
              }
            });
    return t.build();
  }

  /**
   * Returns the parameters of each linear layer of the original and its counterpart in the
   * compressed model, with a note column when a layer cannot be factorized.
   *
   * @param r the report
   * @return the table, empty when no reader counted layers
   */
  static Optional<Table> layers(EvalReport r) {
    List<LayerParameters> layers = r.params().layers();
    if (layers.isEmpty()) {
      return Optional.empty();
    }
    boolean notes = layers.stream().anyMatch(l -> l.note().isPresent());
    Table.Builder t =
        Table.builder("Per-layer parameters (" + layers.size() + " linear layers)")
            .column("layer", LEFT, Table.Style.CODE)
            .column("shape", LEFT)
            .column("original", RIGHT)
            .column("compressed", RIGHT)
            .column("rank", RIGHT)
            .column("share", RIGHT);
    if (notes) {
      t.column("note", LEFT, Table.Style.MUTED);
    }
    for (LayerParameters l : layers) {
      List<String> cells = new ArrayList<>();
      cells.add(l.name());
      cells.add(l.layer().describe());
      cells.add(Fmt.count(l.original()));
      cells.add(l.compressed().isPresent() ? Fmt.count(l.compressed().getAsLong()) : Table.NONE);
      cells.add(l.rankLabel().orElse("dense"));
      cells.add(Fmt.share(l.ratio()));
      if (notes) {
        cells.add(l.note().orElse(""));
      }
      t.row(false, cells);
    }
    return Optional.of(t.build());
  }

  /**
   * Returns the latency per batch size: both models' median, 95th percentile, mean and throughput,
   * the speedup and the number of timed runs.
   *
   * @param r the report
   * @return the table, empty when latency was not measured
   */
  static Optional<Table> latency(EvalReport r) {
    if (r.latency().isEmpty()) {
      return Optional.empty();
    }
    Table.Builder t =
        Table.builder("Latency (ms per batch)")
            .column("batch", RIGHT)
            .column("original p50", RIGHT)
            .column("p95", RIGHT)
            .column("mean", RIGHT)
            .column("throughput", RIGHT)
            .column("compressed p50", RIGHT)
            .column("p95", RIGHT)
            .column("mean", RIGHT)
            .column("throughput", RIGHT)
            .column("speedup", RIGHT)
            .column("runs", RIGHT);
    for (LatencyComparison c : r.latency()) {
      t.row(
          Integer.toString(c.batchSize()),
          Fmt.ms(c.original().p50Ms()),
          Fmt.ms(c.original().p95Ms()),
          Fmt.ms(c.original().meanMs()),
          Fmt.rate(c.original().throughput()),
          Fmt.ms(c.compressed().p50Ms()),
          Fmt.ms(c.compressed().p95Ms()),
          Fmt.ms(c.compressed().meanMs()),
          Fmt.rate(c.compressed().throughput()),
          Fmt.speedup(c.speedup()),
          Integer.toString(c.original().iterations()));
    }
    t.note(
        "Both models measured interleaved on the same batches with "
            + threads(r)
            + " threads; throughput in samples per second; runs: the timed runs of each model.");
    return Optional.of(t.build());
  }

  /**
   * Returns a sweep's settings, fewest parameters first, after the original. Its compact view (the
   * terminal's) leaves out the size on disk and puts the ranks second.
   *
   * @param s the sweep
   * @param chosen the setting to highlight, if any
   * @return the table
   */
  static Table settings(SweepResult s, Optional<String> chosen) {
    return settingsBuilder(s, chosen).build();
  }

  /**
   * Returns the settings a search tried, its chosen one highlighted, with its strategy as a note.
   *
   * @param s the search
   * @return the table
   */
  static Table search(SearchResult s) {
    return settingsBuilder(s.evaluated(), s.chosen().map(SweepPoint::setting))
        .note("Strategy: " + s.strategy() + ".")
        .build();
  }

  /**
   * Returns the facts a report ends with: the data, the threads, who counted the parameters and the
   * lowrank version.
   *
   * @param r the report
   * @return the facts, to be joined in a line
   */
  static List<String> footer(EvalReport r) {
    List<String> facts = new ArrayList<>();
    facts.add("Data: " + r.data().describe());
    r.pooling().ifPresent(p -> facts.add("compared: " + pooled(p)));
    facts.add("threads: " + threads(r));
    facts.add("parameters counted by the " + r.params().source() + " reader");
    facts.add("lowrank " + r.toolVersion());
    return facts;
  }

  /**
   * Returns the facts a sweep report ends with: the data and the lowrank version.
   *
   * @param s the sweep
   * @return the facts, to be joined in a line
   */
  static List<String> footer(SweepResult s) {
    List<String> facts = new ArrayList<>();
    facts.add("Data: " + s.data().describe());
    s.pooling().ifPresent(p -> facts.add("compared: " + pooled(p)));
    facts.add("lowrank " + s.toolVersion());
    return facts;
  }

  /**
   * Returns what a search looked for, e.g. {@code within an accuracy drop of 1.00 pp} or {@code
   * with a cosine fidelity of at least 0.9900}: the heading of its report.
   *
   * @param s the search
   * @return the goal, in words
   */
  static String goal(SearchResult s) {
    if (s.criterion() instanceof SearchCriterion.MinFidelity f) {
      return "with a "
          + f.metric().cliName()
          + " fidelity of at least "
          + Fmt.dec(f.limit())
          + (f.metric() == FidelityMetric.COSINE
              ? " (mean cosine of " + outputs(s.evaluated().pooling()) + ")"
              : "");
    }
    return "within an accuracy drop of " + Fmt.pp(s.maxAccuracyDrop());
  }

  /**
   * Returns how pooled outputs were compared, e.g. {@code mean-pooled sentence embeddings}.
   *
   * @param p the pooling
   * @return the words
   */
  static String pooled(Pooling p) {
    return (p == Pooling.MEAN ? "mean-pooled" : "first-token (cls)") + " sentence embeddings";
  }

  /** What the fidelity compared: the models' outputs, or their pooled sentence embeddings. */
  private static String outputs(Optional<Pooling> pooling) {
    return pooling.isPresent() ? "embeddings" : "outputs";
  }

  /** The mean and smallest per-sample cosine, e.g. {@code mean 0.9871, min 0.9412}, if measured. */
  private static Optional<String> cosine(Fidelity f) {
    if (f.meanCosine().isEmpty()) {
      return Optional.empty();
    }
    String min = f.minCosine().isPresent() ? ", min " + Fmt.dec(f.minCosine().getAsDouble()) : "";
    return Optional.of("mean " + Fmt.dec(f.meanCosine().getAsDouble()) + min);
  }

  private static Table.Builder settingsBuilder(SweepResult s, Optional<String> chosen) {
    Table.Builder t =
        Table.builder("Settings")
            .column("setting", LEFT)
            .column("params", RIGHT)
            .column("share", RIGHT)
            .column("size", RIGHT)
            .column("top-1", RIGHT)
            .column("drop", RIGHT)
            .column("agreement", RIGHT)
            .column("cosine", RIGHT)
            .column("min cosine", RIGHT)
            .column("ranks", LEFT);
    if (s.pooling().isPresent()) {
      // Sentence embeddings have no classes: their cosine to the original's is the measure.
      t.optCompact("setting", "ranks", "params", "share", "cosine", "min cosine");
    } else if (s.originalAccuracy().isPresent()) {
      t.optCompact("setting", "ranks", "params", "share", "top-1", "drop", "agreement", "cosine");
    } else {
      t.optCompact("setting", "ranks", "params", "share", "agreement", "cosine", "min cosine");
    }
    t.row(
        "original",
        Fmt.count(s.originalParameters()),
        Fmt.share(1),
        Fmt.bytes(s.model().sizeBytes()),
        s.originalAccuracy().map(a -> Fmt.pct(a.top1())).orElse(Table.NONE),
        "",
        "",
        "",
        "",
        "");
    for (SweepPoint p : s.byParameters()) {
      t.row(
          chosen.isPresent() && chosen.get().equals(p.setting()),
          List.of(
              p.setting(),
              Fmt.count(p.parameters()),
              Fmt.share(p.parameterRatio()),
              Fmt.bytes(p.sizeBytes()),
              p.accuracy().map(a -> Fmt.pct(a.top1())).orElse(Table.NONE),
              Fmt.pp(p.drop()),
              Fmt.pct(p.fidelity().top1Agreement()),
              dec(p.fidelity().meanCosine()),
              dec(p.fidelity().minCosine()),
              p.ranks()));
    }
    s.pooling()
        .ifPresent(
            p ->
                t.note(
                    "cosine: the mean over the texts of the cosine of their "
                        + pooled(p)
                        + " to the original's; min cosine: the least similar text."));
    return t;
  }

  private static String dec(OptionalDouble v) {
    return v.isPresent() ? Fmt.dec(v.getAsDouble()) : Table.NONE;
  }

  /** The compressed model's size as a share of the original's, unless the original has none. */
  static Optional<String> sizeShare(EvalReport r) {
    long original = r.original().sizeBytes();
    return original == 0
        ? Optional.empty()
        : Optional.of(Fmt.share((double) r.compressed().sizeBytes() / original));
  }

  private static String threads(EvalReport r) {
    return r.threads().intraOp() + " intra-op, " + r.threads().interOp() + " inter-op";
  }
}
