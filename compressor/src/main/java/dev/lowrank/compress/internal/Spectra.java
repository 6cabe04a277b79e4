package dev.lowrank.compress.internal;

import dev.lowrank.compress.LayerSpectrum;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.SourceModel;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.SvdBackends;
import java.util.Optional;

/** The one code path that computes a layer's spectrum, for inspect, eval and global budgets. */
public final class Spectra {

  private Spectra() {}

  /**
   * Computes the singular values of a dense layer's weight.
   *
   * @param model the model
   * @param layer one of its dense layers
   * @return the spectrum, empty when the weight is all zeros
   * @throws ModelFileException if the weight cannot be read or is not finite
   */
  public static Optional<LayerSpectrum> of(SourceModel model, Layer layer)
      throws ModelFileException {
    return of(layer, CompressionRun.readFinite(model, layer));
  }

  /**
   * Computes the singular values of a weight already read.
   *
   * @param layer the layer it belongs to
   * @param w its weight, finite
   * @return the spectrum, empty when the weight is all zeros
   */
  public static Optional<LayerSpectrum> of(Layer layer, FloatMatrix w) {
    double norm2 = w.frobeniusNormSquared();
    if (norm2 == 0) {
      return Optional.empty();
    }
    return Optional.of(new LayerSpectrum(layer, SvdBackends.singularValues(w), norm2));
  }
}
