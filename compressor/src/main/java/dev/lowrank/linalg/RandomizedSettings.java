package dev.lowrank.linalg;

import java.util.List;

/**
 * The tuning of the randomized SVD algorithms ({@link SvdBackends#randomized(long,
 * RandomizedSettings)}): sketch sizes, power iterations, the fixed-precision variant's blocks and
 * the accuracy control of fixed ranks.
 *
 * @param oversampling extra sketch columns beyond the rank, {@code >= 0}
 * @param passes products with the matrix or its transpose for a fixed rank, {@code >= 2}
 * @param blockSize columns added per step of the fixed-precision variant, {@code >= 1}
 * @param blockPowerIterations power iterations per block of the fixed-precision variant
 * @param maxBasisShare the fixed-precision basis may grow to this share of {@code min(n, m)} before
 *     the exact SVD takes over, in (0, 1]
 * @param luBetweenSteps whether intermediate bases are renormalized by LU (else QR)
 * @param maxErrorRatio the accuracy control of fixed ranks: the bound on the rank-r error over the
 *     Eckart-Young optimum that every result must be predicted to meet (more power iterations, else
 *     the exact SVD), above 1; {@link Double#POSITIVE_INFINITY} turns the control off
 */
public record RandomizedSettings(
    int oversampling,
    int passes,
    int blockSize,
    int blockPowerIterations,
    double maxBasisShare,
    boolean luBetweenSteps,
    double maxErrorRatio) {

  /**
   * The defaults of the randomized backend, chosen and measured in {@code docs/linalg.md}; no
   * accuracy control.
   */
  public static final RandomizedSettings DEFAULTS =
      new RandomizedSettings(32, 7, 32, 3, 0.5, true, Double.POSITIVE_INFINITY);

  /** Checks the ranges. */
  public RandomizedSettings {
    if (oversampling < 0
        || passes < 2
        || blockSize < 1
        || blockPowerIterations < 0
        || !(maxBasisShare > 0 && maxBasisShare <= 1)
        || !(maxErrorRatio > 1)) {
      throw new IllegalArgumentException(
          "need oversampling >= 0, passes >= 2, block size >= 1, block power iterations >= 0,"
              + " a basis share in (0, 1] and an error ratio above 1, got "
              + List.of(
                  oversampling,
                  passes,
                  blockSize,
                  blockPowerIterations,
                  maxBasisShare,
                  maxErrorRatio));
    }
  }

  /**
   * Returns these settings with the accuracy control of fixed ranks set to {@code ratio}.
   *
   * @param ratio the bound on the rank-r error over the optimum, above 1, or {@link
   *     Double#POSITIVE_INFINITY} for none
   * @return the new settings
   */
  public RandomizedSettings withMaxErrorRatio(double ratio) {
    return new RandomizedSettings(
        oversampling,
        passes,
        blockSize,
        blockPowerIterations,
        maxBasisShare,
        luBetweenSteps,
        ratio);
  }

  /**
   * Returns whether fixed-rank results are checked against {@link #maxErrorRatio}.
   *
   * @return whether the accuracy control is on
   */
  public boolean controlsError() {
    return maxErrorRatio != Double.POSITIVE_INFINITY;
  }
}
