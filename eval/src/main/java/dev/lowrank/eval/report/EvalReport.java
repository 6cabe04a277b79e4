package dev.lowrank.eval.report;

import dev.lowrank.eval.accuracy.AccuracyComparison;
import dev.lowrank.eval.accuracy.Fidelity;
import dev.lowrank.eval.accuracy.TradeoffPoint;
import dev.lowrank.eval.data.DataInfo;
import dev.lowrank.eval.gate.Gate;
import dev.lowrank.eval.gate.GateVerdict;
import dev.lowrank.eval.latency.LatencyComparison;
import dev.lowrank.eval.model.EngineThreads;
import dev.lowrank.eval.model.ModelInfo;
import dev.lowrank.eval.params.LayerSpectrum;
import dev.lowrank.eval.params.ParameterComparison;
import java.util.ArrayList;
import java.util.List;
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
