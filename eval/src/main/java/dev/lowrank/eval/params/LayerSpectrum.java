package dev.lowrank.eval.params;

import dev.lowrank.format.LinearLayer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.SvdBackends;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The singular values of one dense linear layer's weight {@code W}, descending: how much a low-rank
 * factorization can keep. Computed with the exact SVD backend.
 *
 * @param name the layer name
 * @param outFeatures {@code n}, rows of {@code W}
 * @param inFeatures {@code m}, columns of {@code W}
 * @param singularValues all {@code min(n, m)} singular values, descending
 */
public record LayerSpectrum(String name, int outFeatures, int inFeatures, float[] singularValues) {

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
    double total = 0;
    for (float s : singularValues) {
      total += (double) s * s;
    }
    double sum = 0;
    for (int i = 0; i < singularValues.length; i++) {
      sum += (double) singularValues[i] * singularValues[i];
      if (sum >= fraction * total * (1 - 1e-9)) {
        return i + 1;
      }
    }
    return singularValues.length;
  }

  /**
   * Computes the spectra of a model's dense, finite linear layers whose smaller side is at most
   * {@code maxSide} (larger ones are skipped to bound the time an exact SVD takes).
   *
   * @param model a model file or directory the compressor can open
   * @param maxSide the largest {@code min(n, m)} to decompose
   * @return one spectrum per decomposed layer, in model order
   * @throws ModelFileException if the model cannot be opened or a weight read
   */
  public static List<LayerSpectrum> of(Path model, int maxSide) throws ModelFileException {
    List<LayerSpectrum> spectra = new ArrayList<>();
    try (SourceModel source = ModelFormats.open(model)) {
      for (LinearLayer layer : source.linearLayers()) {
        int k = Math.min(layer.outFeatures(), layer.inFeatures());
        if (layer.lowRank().isPresent() || k > maxSide || k == 0) {
          continue;
        }
        FloatMatrix w = source.readWeight(layer);
        if (!w.isFinite()) {
          continue;
        }
        spectra.add(
            new LayerSpectrum(
                layer.name(),
                layer.outFeatures(),
                layer.inFeatures(),
                SvdBackends.singularValues(w)));
      }
    }
    return spectra;
  }
}
