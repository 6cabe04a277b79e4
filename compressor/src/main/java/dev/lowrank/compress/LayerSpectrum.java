package dev.lowrank.compress;

import dev.lowrank.format.Layer;
import dev.lowrank.linalg.TruncatedSvd;

/**
 * The singular values of one dense layer's weight {@code W}, descending: how much a low-rank
 * factorization of it can keep. {@link Compressor#inspect} and {@link Compressor#spectra} compute
 * them (all {@code min(n, m)} values, from the exact SVD without its vectors).
 *
 * @param layer the layer
 * @param singularValues the singular values, descending
 * @param frobeniusNormSquared {@code ||W||_F^2 = sum s_i^2}
 */
public record LayerSpectrum(Layer layer, float[] singularValues, double frobeniusNormSquared) {

  /** Copies the values. */
  public LayerSpectrum {
    singularValues = singularValues.clone();
  }

  /**
   * Returns a copy of the singular values.
   *
   * @return the values, descending
   */
  @Override
  public float[] singularValues() {
    return singularValues.clone();
  }

  /**
   * Returns the smallest rank keeping a share of the energy {@code sum s_i^2}.
   *
   * @param fraction the share, in (0, 1]
   * @return the rank
   */
  public int rankForEnergy(double fraction) {
    return TruncatedSvd.rankForEnergy(singularValues, frobeniusNormSquared, fraction);
  }
}
