package dev.lowrank.eval.sweep;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.eval.accuracy.Accuracy;
import dev.lowrank.eval.accuracy.Fidelity;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * One compressed model of a sweep or search and how it scores against the original.
 *
 * @param policy the rank policy it was compressed with
 * @param parameters its parameter count
 * @param parameterRatio {@code parameters / original parameters}
 * @param sizeBytes its size on disk
 * @param accuracy its accuracy, on labeled data
 * @param drop the top-1 accuracy drop from the original (a fraction), on labeled data
 * @param fidelity its agreement with the original
 * @param compression what the compressor did, layer by layer
 * @param meanCosine the mean over samples of the cosine between the compressed and the original
 *     model's output vectors ({@code NaN} when not measured)
 */
public record SweepPoint(
    RankPolicy policy,
    long parameters,
    double parameterRatio,
    long sizeBytes,
    Optional<Accuracy> accuracy,
    OptionalDouble drop,
    Fidelity fidelity,
    CompressionResult compression,
    double meanCosine) {

  /**
   * Creates a point without the cosine figure.
   *
   * @param policy the rank policy
   * @param parameters its parameter count
   * @param parameterRatio its share of the original's parameters
   * @param sizeBytes its size on disk
   * @param accuracy its accuracy, on labeled data
   * @param drop its accuracy drop, on labeled data
   * @param fidelity its agreement with the original
   * @param compression what the compressor did
   */
  public SweepPoint(
      RankPolicy policy,
      long parameters,
      double parameterRatio,
      long sizeBytes,
      Optional<Accuracy> accuracy,
      OptionalDouble drop,
      Fidelity fidelity,
      CompressionResult compression) {
    this(
        policy,
        parameters,
        parameterRatio,
        sizeBytes,
        accuracy,
        drop,
        fidelity,
        compression,
        Double.NaN);
  }

  /**
   * Returns the fidelity to the original under a metric.
   *
   * @param metric cosine or top-1 agreement
   * @return the fidelity, in [0, 1] (the cosine may be negative for unrelated outputs)
   */
  public double fidelity(FidelityMetric metric) {
    return metric == FidelityMetric.COSINE ? meanCosine : fidelity.top1Agreement();
  }

  /**
   * Returns the setting in the CLI's words, e.g. {@code rank 8} or {@code energy 0.9}.
   *
   * @return the label
   */
  public String setting() {
    return policy.describe();
  }

  /**
   * Returns the ranks per linear layer in model order, {@code -} for a dense layer, e.g. {@code
   * 8/8/-}.
   *
   * @return the ranks
   */
  public String ranks() {
    return compression.layers().stream().map(SweepPoint::rankText).collect(Collectors.joining("/"));
  }

  /**
   * Returns the drop the gate and the search compare with a limit: the accuracy drop on labeled
   * data, else the top-1 disagreement with the original.
   *
   * @return a fraction
   */
  public double gateDrop() {
    return drop.orElse(1 - fidelity.top1Agreement());
  }

  private static String rankText(LayerResult l) {
    return l.rank().isPresent() ? Integer.toString(l.rank().getAsInt()) : "-";
  }
}
