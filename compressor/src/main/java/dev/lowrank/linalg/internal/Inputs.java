package dev.lowrank.linalg.internal;

import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.RankTarget;

/** The argument checks every backend applies before factorizing. */
final class Inputs {

  private Inputs() {}

  /**
   * Checks that {@code w} is non-empty and finite and that a leading rank fits its shape, and
   * returns {@code ||w||_F^2} (one pass: the double sum of float squares is finite exactly when
   * every value is).
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  static double checkedEnergy(FloatMatrix w, RankTarget target) {
    int k = Math.min(w.rows(), w.cols());
    if (k == 0) {
      throw new IllegalArgumentException(
          "Cannot factorize an empty " + w.shape() + " matrix; pass at least one row and column.");
    }
    if (target instanceof RankTarget.Leading leading && leading.rank() > k) {
      throw new IllegalArgumentException(
          "rank "
              + leading.rank()
              + " exceeds min(n, m) = "
              + k
              + " of a "
              + w.shape()
              + " matrix; ask for at most "
              + k
              + ".");
    }
    double energy = w.frobeniusNormSquared();
    if (!Double.isFinite(energy)) {
      throw new IllegalArgumentException(
          "The " + w.shape() + " matrix holds NaN or infinite values; an SVD needs finite values.");
    }
    return energy;
  }
}
