package dev.lowrank.eval.sweep;

import java.util.Locale;

/**
 * What a compressed model must meet in a {@link SmallestModelSearch}: an accuracy drop within a
 * limit (on labeled data; on unlabeled data the top-1 disagreement), or a fidelity to the
 * original's outputs of at least a limit.
 */
public sealed interface SearchCriterion
    permits SearchCriterion.MaxDrop, SearchCriterion.MinFidelity {

  /**
   * The accuracy drop stays within a limit.
   *
   * @param limit the largest drop, a fraction (0.01 is one percentage point)
   */
  record MaxDrop(double limit) implements SearchCriterion {
    @Override
    public boolean passes(SweepPoint p) {
      return p.gateDrop() <= limit + 1e-12;
    }

    @Override
    public double shortfall(SweepPoint p) {
      return p.gateDrop() - limit;
    }

    @Override
    public String describe(SweepPoint p) {
      return String.format(
          Locale.ROOT,
          "drop %.2f pp %s %.2f pp",
          100 * p.gateDrop(),
          passes(p) ? "<=" : ">",
          100 * limit);
    }

    @Override
    public String goal() {
      return String.format(Locale.ROOT, "stays within a drop of %.2f pp", 100 * limit);
    }
  }

  /**
   * The outputs' fidelity to the original's reaches a limit.
   *
   * @param limit the smallest fidelity, in [0, 1]
   * @param metric how fidelity is measured
   */
  record MinFidelity(double limit, FidelityMetric metric) implements SearchCriterion {
    /** Checks the limit. */
    public MinFidelity {
      if (!(limit >= 0 && limit <= 1)) {
        throw new IllegalArgumentException(
            "--min-fidelity must be in [0, 1] (e.g. 0.99), got " + limit);
      }
    }

    @Override
    public boolean passes(SweepPoint p) {
      return p.fidelity(metric) >= limit - 1e-12;
    }

    @Override
    public double shortfall(SweepPoint p) {
      return limit - p.fidelity(metric);
    }

    @Override
    public String describe(SweepPoint p) {
      return String.format(
          Locale.ROOT,
          "%s %.4f %s %.4f",
          metric.cliName(),
          p.fidelity(metric),
          passes(p) ? ">=" : "<",
          limit);
    }

    @Override
    public String goal() {
      return String.format(Locale.ROOT, "reaches a %s fidelity of %.4f", metric.cliName(), limit);
    }
  }

  /**
   * Returns whether a compressed model meets the criterion.
   *
   * @param p the evaluated model
   * @return {@code true} if it passes
   */
  boolean passes(SweepPoint p);

  /**
   * Returns by how much a model misses the criterion (negative when it passes).
   *
   * @param p the evaluated model
   * @return the shortfall, in the criterion's units
   */
  double shortfall(SweepPoint p);

  /**
   * Describes a model's standing, e.g. {@code "drop 0.56 pp <= 1.00 pp"}.
   *
   * @param p the evaluated model
   * @return the description
   */
  String describe(SweepPoint p);

  /**
   * Describes the criterion, e.g. {@code "stays within a drop of 1.00 pp"}.
   *
   * @return the description
   */
  String goal();
}
