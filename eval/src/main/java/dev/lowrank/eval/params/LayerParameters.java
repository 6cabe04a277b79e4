package dev.lowrank.eval.params;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * One linear layer's parameters in the original and the compressed model.
 *
 * @param name the layer name as the model format spells it
 * @param outFeatures {@code n}, rows of {@code W}
 * @param inFeatures {@code m}, columns of {@code W}
 * @param original the layer's parameters in the original model
 * @param compressed the layer's parameters in the compressed model, empty if it has no layer of
 *     that name
 * @param rank the rank of the compressed layer's factors, empty when it is dense
 * @param note why the original layer cannot be factorized whatever the settings (as the model
 *     format reports it), empty when it can
 */
public record LayerParameters(
    String name,
    int outFeatures,
    int inFeatures,
    long original,
    OptionalLong compressed,
    OptionalInt rank,
    Optional<String> note) {

  /**
   * Returns {@code compressed / original}, 1 when the compressed layer is missing.
   *
   * @return the share of the layer's parameters left
   */
  public double ratio() {
    return compressed.isPresent() && original > 0 ? (double) compressed.getAsLong() / original : 1;
  }

  /**
   * Returns the shape of {@code W} as {@code "n x m"}.
   *
   * @return e.g. {@code 64x32}
   */
  public String shape() {
    return outFeatures + "x" + inFeatures;
  }
}
