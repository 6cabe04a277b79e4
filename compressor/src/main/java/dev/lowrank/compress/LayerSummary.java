package dev.lowrank.compress;

import dev.lowrank.format.Layer;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One layer as {@code lowrank inspect} shows it: the layer and, for a dense layer with a non-zero
 * weight, its spectrum, from which the ranks that energy thresholds would need follow; with
 * calibration data, also the spectrum of its whitened weight {@code W C}, whose energy is the
 * layer's output energy on the data.
 *
 * @param layer the layer
 * @param spectrum its singular values; empty for a layer already factorized or with an all-zero
 *     weight
 * @param dataSpectrum the singular values of {@code W C}, when calibration data reached the layer
 */
public record LayerSummary(
    Layer layer, Optional<LayerSpectrum> spectrum, Optional<LayerSpectrum> dataSpectrum) {

  /**
   * Describes a layer without calibration data.
   *
   * @param layer the layer
   * @param spectrum its singular values, if computed
   */
  public LayerSummary(Layer layer, Optional<LayerSpectrum> spectrum) {
    this(layer, spectrum, Optional.empty());
  }

  /**
   * Returns the smallest rank keeping a share of the layer's output energy on the calibration data.
   *
   * @param fraction the share, in (0, 1]
   * @return the rank, or empty without calibration data
   */
  public OptionalInt rankForDataEnergy(double fraction) {
    return dataSpectrum
        .map(s -> OptionalInt.of(s.rankForEnergy(fraction)))
        .orElse(OptionalInt.empty());
  }

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
