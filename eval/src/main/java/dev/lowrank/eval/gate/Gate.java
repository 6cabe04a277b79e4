package dev.lowrank.eval.gate;

import dev.lowrank.eval.accuracy.AccuracyComparison;
import dev.lowrank.eval.accuracy.Fidelity;
import java.util.List;
import java.util.Optional;

/**
 * The CI gate's rule: on labeled data, the top-1 accuracy drop ({@code original - compressed}, a
 * fraction) must be at most {@code maxAccuracyDrop}; on unlabeled data, the share of samples on
 * which the two models disagree ({@code 1 - top-1 agreement}, an upper bound of the drop any labels
 * could show) must be.
 */
public final class Gate {

  /** The name of the labeled check. */
  public static final String ACCURACY_DROP = "accuracy-drop";

  /** The name of the unlabeled check. */
  public static final String DISAGREEMENT = "top1-disagreement";

  private Gate() {}

  /**
   * Checks a comparison against a limit.
   *
   * @param accuracy the accuracies, when the data is labeled
   * @param fidelity the agreement of the two models
   * @param maxAccuracyDrop the largest drop that passes, a fraction (0.01 = one percentage point)
   * @return the verdict
   * @throws IllegalArgumentException if the limit is negative or not a number
   */
  public static GateVerdict check(
      Optional<AccuracyComparison> accuracy, Fidelity fidelity, double maxAccuracyDrop) {
    checkLimit(maxAccuracyDrop);
    GateCheck check =
        accuracy
            .map(
                a -> new GateCheck(ACCURACY_DROP, "top-1 accuracy drop", a.drop(), maxAccuracyDrop))
            .orElseGet(
                () ->
                    new GateCheck(
                        DISAGREEMENT,
                        "top-1 disagreement with the original (unlabeled data)",
                        1 - fidelity.top1Agreement(),
                        maxAccuracyDrop));
    return new GateVerdict(List.of(check));
  }

  /**
   * Checks a limit given by a user.
   *
   * @param maxAccuracyDrop the limit
   * @throws IllegalArgumentException if it is negative, above 1, or not a number
   */
  public static void checkLimit(double maxAccuracyDrop) {
    if (!(maxAccuracyDrop >= 0 && maxAccuracyDrop <= 1)) {
      throw new IllegalArgumentException(
          "The maximum accuracy drop is a fraction in [0, 1] (0.01 = one percentage point), got "
              + maxAccuracyDrop);
    }
  }
}
