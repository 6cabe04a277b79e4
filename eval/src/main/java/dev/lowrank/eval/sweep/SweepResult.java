package dev.lowrank.eval.sweep;

import dev.lowrank.eval.accuracy.Accuracy;
import dev.lowrank.eval.accuracy.TradeoffPoint;
import dev.lowrank.eval.data.DataInfo;
import dev.lowrank.eval.model.ModelInfo;
import dev.lowrank.eval.pooling.Pooling;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The curve of accuracy against parameters across compression settings.
 *
 * @param toolVersion the lowrank version
 * @param model the original model
 * @param data the data set
 * @param originalParameters the original model's parameter count
 * @param originalAccuracy the original model's accuracy, on labeled data
 * @param points one point per setting, in the order evaluated
 * @param pooling how a text encoder's per-token outputs were pooled into the sentence embeddings
 *     that were compared, empty when outputs were compared as the models return them
 */
public record SweepResult(
    String toolVersion,
    ModelInfo model,
    DataInfo data,
    long originalParameters,
    Optional<Accuracy> originalAccuracy,
    List<SweepPoint> points,
    Optional<Pooling> pooling) {

  /** Copies the list. */
  public SweepResult {
    points = List.copyOf(points);
  }

  /**
   * Creates a sweep whose outputs were compared as the models return them (no pooling).
   *
   * @param toolVersion the lowrank version
   * @param model the original model
   * @param data the data set
   * @param originalParameters the original model's parameter count
   * @param originalAccuracy the original model's accuracy, on labeled data
   * @param points one point per setting, in the order evaluated
   */
  public SweepResult(
      String toolVersion,
      ModelInfo model,
      DataInfo data,
      long originalParameters,
      Optional<Accuracy> originalAccuracy,
      List<SweepPoint> points) {
    this(toolVersion, model, data, originalParameters, originalAccuracy, points, Optional.empty());
  }

  /**
   * Returns the points sorted by parameter count, fewest first.
   *
   * @return the sorted points
   */
  public List<SweepPoint> byParameters() {
    return points.stream().sorted(Comparator.comparingLong(SweepPoint::parameters)).toList();
  }

  /**
   * Returns the points for the accuracy-against-parameters plot: the original, then each setting.
   *
   * @return the plot points
   */
  public List<TradeoffPoint> tradeoff() {
    List<TradeoffPoint> out = new ArrayList<>();
    out.add(
        new TradeoffPoint(
            "original",
            originalParameters,
            originalAccuracy.map(a -> OptionalDouble.of(a.top1())).orElse(OptionalDouble.empty()),
            1.0,
            true));
    for (SweepPoint p : byParameters()) {
      out.add(
          new TradeoffPoint(
              p.setting(),
              p.parameters(),
              p.accuracy().map(a -> OptionalDouble.of(a.top1())).orElse(OptionalDouble.empty()),
              p.fidelity().top1Agreement(),
              false));
    }
    return out;
  }
}
