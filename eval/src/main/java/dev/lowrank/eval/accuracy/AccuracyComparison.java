package dev.lowrank.eval.accuracy;

import java.util.OptionalDouble;

/**
 * The accuracy of an original model and of its compressed version on the same labeled data, and the
 * drop.
 *
 * <p>Units: accuracies and drops are fractions (0.953 is 95.3%); the drop is {@code original -
 * compressed}, so a positive drop means the compressed model is worse and 0.01 is one percentage
 * point. Every lowrank threshold ({@code maxAccuracyDrop}) uses the same unit.
 *
 * @param original the original model's accuracy
 * @param compressed the compressed model's accuracy
 */
public record AccuracyComparison(Accuracy original, Accuracy compressed) {

  /**
   * Returns the top-1 accuracy drop.
   *
   * @return {@code original.top1() - compressed.top1()}, a fraction
   */
  public double drop() {
    return original.top1() - compressed.top1();
  }

  /**
   * Returns the top-5 accuracy drop, when both have top-5 figures.
   *
   * @return {@code original.top5() - compressed.top5()}, or empty
   */
  public OptionalDouble top5Drop() {
    if (original.top5().isEmpty() || compressed.top5().isEmpty()) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(original.top5().getAsDouble() - compressed.top5().getAsDouble());
  }
}
