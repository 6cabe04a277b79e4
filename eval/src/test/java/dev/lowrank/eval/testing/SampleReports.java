package dev.lowrank.eval.testing;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.LayerSpectrum;
import dev.lowrank.compress.LayerStatus;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.SampleShape;
import dev.lowrank.eval.accuracy.Accuracy;
import dev.lowrank.eval.accuracy.AccuracyComparison;
import dev.lowrank.eval.accuracy.Fidelity;
import dev.lowrank.eval.data.DataInfo;
import dev.lowrank.eval.latency.LatencyComparison;
import dev.lowrank.eval.latency.LatencyStats;
import dev.lowrank.eval.model.EngineThreads;
import dev.lowrank.eval.model.ModelInfo;
import dev.lowrank.eval.params.LayerParameters;
import dev.lowrank.eval.params.ParameterComparison;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.sweep.FidelityMetric;
import dev.lowrank.eval.sweep.SearchCriterion;
import dev.lowrank.eval.sweep.SearchResult;
import dev.lowrank.eval.sweep.SweepPoint;
import dev.lowrank.eval.sweep.SweepResult;
import dev.lowrank.format.Layer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/** Reports with fixed, known figures, for the writers' tests. */
public final class SampleReports {

  private SampleReports() {}

  /**
   * Returns an evaluation report of a fictional 3-layer MLP with every section filled.
   *
   * @param labeled whether the data had labels
   * @return the report, gated at a 2 pp drop
   */
  public static EvalReport eval(boolean labeled) {
    ParameterComparison params =
        new ParameterComparison(
            6570,
            2218,
            List.of(
                new LayerParameters(
                    Layer.linear("01Linear", 64, 64, true),
                    Optional.of(Layer.linear("01Linear", 64, 64, true).withLowRank(8))),
                new LayerParameters(
                    Layer.linear("03Linear", 32, 64, true),
                    Optional.of(Layer.linear("03Linear", 32, 64, true).withLowRank(8))),
                new LayerParameters(
                    Layer.linear("05Linear", 10, 32, true)
                        .withIneligible("its parent reads W | directly"),
                    Optional.of(Layer.linear("05Linear", 10, 32, true)))),
            "djl");
    Optional<AccuracyComparison> accuracy =
        labeled
            ? Optional.of(
                new AccuracyComparison(
                    new Accuracy(360, 351, OptionalInt.of(359)),
                    new Accuracy(360, 346, OptionalInt.of(358))))
            : Optional.empty();
    Fidelity fidelity = new Fidelity(360, 352, 0.0812);
    List<LatencyComparison> latency = new ArrayList<>();
    int[] batches = {1, 8, 64};
    for (int i = 0; i < batches.length; i++) {
      double base = 0.05 * Math.pow(3, i);
      latency.add(
          new LatencyComparison(
              batches[i],
              new LatencyStats(
                  batches[i],
                  200,
                  base * 1.1,
                  base,
                  base * 1.6,
                  base * 0.9,
                  base * 0.2,
                  batches[i] / (base * 1.1e-3)),
              new LatencyStats(
                  batches[i],
                  200,
                  base * 0.8,
                  base * 0.75,
                  base * 1.2,
                  base * 0.7,
                  base * 0.1,
                  batches[i] / (base * 0.8e-3))));
    }
    List<LayerSpectrum> spectra = new ArrayList<>();
    int[][] shapes = {{64, 64}, {32, 64}, {10, 32}};
    String[] names = {"01Linear", "03Linear", "05Linear"};
    for (int k = 0; k < 3; k++) {
      int n = Math.min(shapes[k][0], shapes[k][1]);
      float[] s = new float[n];
      for (int i = 0; i < n; i++) {
        s[i] = (float) (5 * Math.exp(-i / (4.0 + 3 * k)));
      }
      double norm2 = 0;
      for (float v : s) {
        norm2 += (double) v * v;
      }
      spectra.add(
          new LayerSpectrum(Layer.linear(names[k], shapes[k][0], shapes[k][1], true), s, norm2));
    }
    EvalReport.Builder r =
        EvalReport.builder()
            .setToolVersion("0.1.0-test")
            .setOriginal(new ModelInfo(Path.of("models/mlp"), "djl", 27_136))
            .setCompressed(new ModelInfo(Path.of("models/mlp <r8>"), "djl", 11_674))
            .setData(
                new DataInfo(
                    "digits-test.csv",
                    "data/digits-test.csv",
                    "csv",
                    360,
                    64,
                    SampleShape.flat(64),
                    labeled,
                    labeled ? OptionalInt.of(10) : OptionalInt.empty()))
            .setParams(params)
            .setFidelity(fidelity)
            .setOutputs(10)
            .optLatency(latency)
            .setThreads(new EngineThreads(2, 2))
            .optSpectra(spectra)
            .optTradeoff(EvalReport.pair(params, accuracy, fidelity, "compressed"));
    accuracy.ifPresent(r::optAccuracy);
    return r.build().withGate(0.02);
  }

  /**
   * Returns a sweep over ranks 2, 4, 8 and 16 of the same fictional MLP.
   *
   * @return the sweep
   */
  public static SweepResult sweep() {
    List<SweepPoint> points = new ArrayList<>();
    int[] ranks = {2, 4, 8, 16};
    int[] correct = {150, 260, 330, 348};
    for (int i = 0; i < ranks.length; i++) {
      int r = ranks[i];
      long p1 = r * 128L + 64;
      long p2 = r * 96L + 32;
      long total = p1 + p2 + 330;
      CompressionResult c =
          new CompressionResult(
              "0.1.0-test",
              "djl",
              Optional.of("mlp"),
              Optional.empty(),
              Map.of("policy", "rank " + r),
              List.of(
                  layer("01Linear", 64, 64, r, 4160, p1),
                  layer("03Linear", 32, 64, r, 2080, p2),
                  new LayerResult(
                      Layer.linear("05Linear", 10, 32, true),
                      LayerStatus.DENSE,
                      OptionalInt.empty(),
                      Optional.of("r (n + m) >= n m"),
                      330,
                      330,
                      1,
                      0,
                      Optional.empty())),
              6570,
              total);
      Accuracy a = new Accuracy(360, correct[i], OptionalInt.of(355));
      points.add(
          new SweepPoint(
              RankPolicy.rank(r),
              total,
              total / 6570.0,
              3000 + total * 4,
              Optional.of(a),
              OptionalDouble.of((351 - correct[i]) / 360.0),
              new Fidelity(
                  360,
                  correct[i] + 2,
                  1.0 / r,
                  OptionalDouble.of(1 - 0.5 / r),
                  OptionalDouble.of(1 - 1.0 / r)),
              c));
    }
    return new SweepResult(
        "0.1.0-test",
        new ModelInfo(Path.of("models/mlp"), "djl", 27_136),
        new DataInfo(
            "digits-test.csv",
            "data/digits-test.csv",
            "csv",
            360,
            64,
            SampleShape.flat(64),
            true,
            OptionalInt.of(10)),
        6570,
        Optional.of(new Accuracy(360, 351, OptionalInt.of(359))),
        points);
  }

  /**
   * Returns a search over the sample sweep that chose rank 8 for a 2 pp limit.
   *
   * @return the search result
   */
  public static SearchResult search() {
    SweepResult s = sweep();
    return new SearchResult(
        0.06, Optional.of(s.points().get(2)), s, "evaluated every candidate (4, of mixed kinds)");
  }

  /**
   * Returns the evaluation of a text encoder: the unlabeled sample report whose outputs were
   * mean-pooled sentence embeddings of 384 values, with their cosines to the original's.
   *
   * @return the report
   */
  public static EvalReport textEval() {
    return eval(false).toBuilder()
        .setFidelity(
            new Fidelity(24, 3, 0.4123, OptionalDouble.of(0.9123), OptionalDouble.of(0.7012)))
        .setOutputs(384)
        .optPooling(Pooling.MEAN)
        .build();
  }

  /**
   * Returns the sample sweep as if its outputs were mean-pooled sentence embeddings.
   *
   * @return the sweep
   */
  public static SweepResult textSweep() {
    SweepResult s = sweep();
    return new SweepResult(
        s.toolVersion(),
        s.model(),
        s.data(),
        s.originalParameters(),
        Optional.empty(),
        s.points().stream()
            .map(
                p ->
                    new SweepPoint(
                        p.policy(),
                        p.parameters(),
                        p.parameterRatio(),
                        p.sizeBytes(),
                        Optional.empty(),
                        OptionalDouble.empty(),
                        p.fidelity(),
                        p.compression(),
                        p.fidelity().meanCosine().getAsDouble()))
            .toList(),
        Optional.of(Pooling.MEAN));
  }

  /**
   * Returns a search over the text sweep for a mean cosine of at least 0.9: rank 8 (0.9375).
   *
   * @return the search result
   */
  public static SearchResult fidelitySearch() {
    SweepResult s = textSweep();
    return new SearchResult(
        Double.NaN,
        Optional.of(s.points().get(2)),
        s,
        "evaluated every candidate (4, of mixed kinds)",
        new SearchCriterion.MinFidelity(0.9, FidelityMetric.COSINE));
  }

  private static LayerResult layer(String name, int n, int m, int r, long before, long after) {
    return new LayerResult(
        Layer.linear(name, n, m, true),
        LayerStatus.FACTORIZED,
        OptionalInt.of(r),
        Optional.empty(),
        before,
        after,
        0.9,
        0.1,
        Optional.of(dev.lowrank.linalg.SvdAlgorithm.EXACT));
  }
}
