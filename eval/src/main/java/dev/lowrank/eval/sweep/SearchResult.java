package dev.lowrank.eval.sweep;

import java.util.Locale;
import java.util.Optional;

/**
 * What a search for the smallest model within an accuracy drop (or above a fidelity) found.
 *
 * @param maxAccuracyDrop the limit searched for, a fraction ({@code NaN} for a fidelity search)
 * @param chosen the passing setting with the fewest parameters, empty if none passed
 * @param evaluated every setting tried, as a sweep (its points in the order tried)
 * @param strategy how the settings were chosen, in words
 * @param criterion what a model had to meet
 */
public record SearchResult(
    double maxAccuracyDrop,
    Optional<SweepPoint> chosen,
    SweepResult evaluated,
    String strategy,
    SearchCriterion criterion) {

  /**
   * Creates the result of a search within an accuracy drop.
   *
   * @param maxAccuracyDrop the limit, a fraction
   * @param chosen the passing setting with the fewest parameters
   * @param evaluated every setting tried
   * @param strategy how the settings were chosen
   */
  public SearchResult(
      double maxAccuracyDrop, Optional<SweepPoint> chosen, SweepResult evaluated, String strategy) {
    this(
        maxAccuracyDrop, chosen, evaluated, strategy, new SearchCriterion.MaxDrop(maxAccuracyDrop));
  }

  /**
   * Returns a one-line answer, e.g. {@code "energy 0.9: 2,218 parameters (33.8% of 6,570), drop
   * 0.83 pp <= 1.00 pp"}.
   *
   * @return the summary
   */
  public String summary() {
    long original = evaluated.originalParameters();
    if (!(criterion instanceof SearchCriterion.MaxDrop)) {
      if (chosen.isEmpty()) {
        String best =
            evaluated.points().stream()
                .min(java.util.Comparator.comparingDouble(criterion::shortfall))
                .map(criterion::describe)
                .orElse("nothing was evaluated");
        return "no setting tried "
            + criterion.goal()
            + " (the best: "
            + best
            + "); keep the original model or lower the limit";
      }
      SweepPoint p = chosen.get();
      return String.format(
          Locale.ROOT,
          "%s: %,d parameters (%.1f%% of %,d), %s",
          p.setting(),
          p.parameters(),
          100 * p.parameterRatio(),
          original,
          criterion.describe(p));
    }
    if (chosen.isEmpty()) {
      double best =
          evaluated.points().stream().mapToDouble(SweepPoint::gateDrop).min().orElse(Double.NaN);
      return String.format(
          Locale.ROOT,
          "no setting tried stays within a drop of %.2f pp (the best drops %.2f pp); keep the"
              + " original model or allow a larger drop",
          100 * maxAccuracyDrop,
          100 * best);
    }
    SweepPoint p = chosen.get();
    return String.format(
        Locale.ROOT,
        "%s: %,d parameters (%.1f%% of %,d), drop %.2f pp <= %.2f pp",
        p.setting(),
        p.parameters(),
        100 * p.parameterRatio(),
        original,
        100 * p.gateDrop(),
        100 * maxAccuracyDrop);
  }
}
