package dev.lowrank.compress;

import dev.lowrank.format.Layer;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One layer as {@code lowrank inspect} shows it: the layer and, for a dense layer with a non-zero
 * weight, its spectrum, from which the ranks that energy thresholds would need follow.
 *
 * @param layer the layer
 * @param spectrum its singular values; empty for a layer already factorized or with an all-zero
 *     weight
 */
public record LayerSummary(Layer layer, Optional<LayerSpectrum> spectrum) {

  /**
   * Returns the smallest rank keeping a share of {@code ||W||_F^2}, when there is a spectrum.
   *
   * @param fraction the share, in (0, 1]
   * @return the rank, or empty
   */
  public OptionalInt rankForEnergy(double fraction) {
    return spectrum.map(s -> OptionalInt.of(s.rankForEnergy(fraction))).orElse(OptionalInt.empty());
  }

  /**
   * Returns the singular values, descending (empty when not computed).
   *
   * @return a copy of the spectrum
   */
  public float[] singularValues() {
    return spectrum.map(LayerSpectrum::singularValues).orElse(new float[0]);
  }
}
