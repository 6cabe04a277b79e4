package dev.lowrank.eval.report;

import dev.lowrank.compress.LayerSpectrum;
import dev.lowrank.eval.accuracy.AccuracyComparison;
import dev.lowrank.eval.accuracy.Fidelity;
import dev.lowrank.eval.accuracy.TradeoffPoint;
import dev.lowrank.eval.data.DataInfo;
import dev.lowrank.eval.gate.Gate;
import dev.lowrank.eval.gate.GateVerdict;
import dev.lowrank.eval.latency.LatencyComparison;
import dev.lowrank.eval.model.EngineThreads;
import dev.lowrank.eval.model.ModelInfo;
import dev.lowrank.eval.params.ParameterComparison;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Everything an evaluation of a compressed model against its original found: how much smaller, how
 * much faster, how much worse. Immutable; written by the {@link ReportWriter}s (JSON schema in
 * {@code eval/REPORT-SCHEMA.md}).
 *
 * @param toolVersion the lowrank version that made the report
 * @param original the original model
 * @param compressed the compressed model
 * @param data the data set
 * @param params parameters, in total and per linear layer
 * @param accuracy top-1 (and top-5) accuracies and the drop, when the data is labeled
 * @param fidelity agreement of the two models' outputs
 * @param outputs the models' output width (classes)
 * @param latency one entry per batch size, empty when latency was not measured
 * @param threads the engine's thread pools during the measurements
 * @param spectra singular values of the original model's dense linear layers
 * @param tradeoff accuracy-against-parameters points (a sweep's, or the original and compressed
 *     pair)
 * @param gate the gate verdict, when a maximum accuracy drop was given
 */
public record EvalReport(
    String toolVersion,
    ModelInfo original,
    ModelInfo compressed,
    DataInfo data,
    ParameterComparison params,
    Optional<AccuracyComparison> accuracy,
    Fidelity fidelity,
    int outputs,
    List<LatencyComparison> latency,
    EngineThreads threads,
    List<LayerSpectrum> spectra,
    List<TradeoffPoint> tradeoff,
    Optional<GateVerdict> gate) {

  /** Copies the lists. */
  public EvalReport {
    latency = List.copyOf(latency);
    spectra = List.copyOf(spectra);
    tradeoff = List.copyOf(tradeoff);
  }

  /**
   * Returns the two points of this comparison for the accuracy-against-parameters plot.
   *
   * @param params the parameter counts
   * @param accuracy the accuracies, when labeled
   * @param fidelity the agreement
   * @param compressedLabel the compressed model's label
   * @return the original's point, then the compressed model's
   */
  public static List<TradeoffPoint> pair(
      ParameterComparison params,
      Optional<AccuracyComparison> accuracy,
      Fidelity fidelity,
      String compressedLabel) {
    List<TradeoffPoint> points = new ArrayList<>();
    points.add(
        new TradeoffPoint(
            "original",
            params.original(),
            accuracy
                .map(a -> OptionalDouble.of(a.original().top1()))
                .orElse(OptionalDouble.empty()),
            1.0,
            true));
    points.add(
        new TradeoffPoint(
            compressedLabel,
            params.compressed(),
            accuracy
                .map(a -> OptionalDouble.of(a.compressed().top1()))
                .orElse(OptionalDouble.empty()),
            fidelity.top1Agreement(),
            false));
    return points;
  }

  /**
   * Returns the headline figures as name-value pairs, named as in the JSON report (e.g. {@code
   * params.ratio}, {@code accuracy.drop}, {@code latency.b1.speedup}), for CI properties such as
   * the JUnit XML report's.
   *
   * @return the figures, in a stable order
   */
  public Map<String, String> keyFigures() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("models.original", original.path().toString());
    m.put("models.compressed", compressed.path().toString());
    m.put("data", data.describe());
    m.put("params.original", Long.toString(params.original()));
    m.put("params.compressed", Long.toString(params.compressed()));
    m.put("params.ratio", number(params.ratio()));
    m.put("size.original", Long.toString(original.sizeBytes()));
    m.put("size.compressed", Long.toString(compressed.sizeBytes()));
    accuracy.ifPresent(
        a -> {
          m.put("accuracy.original", number(a.original().top1()));
          m.put("accuracy.compressed", number(a.compressed().top1()));
          m.put("accuracy.drop", number(a.drop()));
        });
    m.put("fidelity.top1Agreement", number(fidelity.top1Agreement()));
    m.put("fidelity.relativeL2Error", number(fidelity.relativeL2Error()));
    for (LatencyComparison c : latency) {
      String b = "latency.b" + c.batchSize() + ".";
      m.put(b + "original.p50Ms", number(c.original().p50Ms()));
      m.put(b + "compressed.p50Ms", number(c.compressed().p50Ms()));
      m.put(b + "speedup", number(c.speedup()));
    }
    m.put("threads.intraOp", Integer.toString(threads.intraOp()));
    m.put("toolVersion", toolVersion);
    return m;
  }

  private static String number(double v) {
    return String.format(Locale.ROOT, "%.6g", v);
  }

  /**
   * Checks this report against a maximum accuracy drop (see {@link Gate}).
   *
   * @param maxAccuracyDrop the largest drop that passes, a fraction
   * @return the verdict
   */
  public GateVerdict checkGate(double maxAccuracyDrop) {
    return Gate.check(accuracy, fidelity, maxAccuracyDrop);
  }

  /**
   * Returns a copy with the gate verdict for a maximum accuracy drop.
   *
   * @param maxAccuracyDrop the largest drop that passes, a fraction
   * @return the report with its {@code gate} set
   */
  public EvalReport withGate(double maxAccuracyDrop) {
    return new EvalReport(
        toolVersion,
        original,
        compressed,
        data,
        params,
        accuracy,
        fidelity,
        outputs,
        latency,
        threads,
        spectra,
        tradeoff,
        Optional.of(checkGate(maxAccuracyDrop)));
  }

  /**
   * Returns a copy whose accuracy-against-parameters points are a sweep's.
   *
   * @param points the points to plot
   * @return the report with {@code tradeoff} replaced
   */
  public EvalReport withTradeoff(List<TradeoffPoint> points) {
    return new EvalReport(
        toolVersion,
        original,
        compressed,
        data,
        params,
        accuracy,
        fidelity,
        outputs,
        latency,
        threads,
        spectra,
        points,
        gate);
  }
}
