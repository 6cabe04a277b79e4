package dev.lowrank.compress;

import dev.lowrank.format.LinearLayer;
import java.util.OptionalInt;

/**
 * One linear layer as {@code lowrank inspect} shows it: its shape and parameters, and the ranks
 * that energy thresholds 0.9 and 0.99 would need (from the exact singular values).
 *
 * @param layer the layer
 * @param rankForEnergy90 the smallest rank keeping 90% of {@code ||W||_F^2}; empty for a layer
 *     already factorized or with an all-zero weight
 * @param rankForEnergy99 the same for 99%
 * @param singularValues the singular values, descending (empty when not computed)
 */
public record LayerSummary(
    LinearLayer layer,
    OptionalInt rankForEnergy90,
    OptionalInt rankForEnergy99,
    float[] singularValues) {

  /** Copies the singular values. */
  public LayerSummary {
    singularValues = singularValues.clone();
  }

  /**
   * Returns a copy of the singular values.
   *
   * @return the spectrum, descending
   */
  @Override
  public float[] singularValues() {
    return singularValues.clone();
  }
}
