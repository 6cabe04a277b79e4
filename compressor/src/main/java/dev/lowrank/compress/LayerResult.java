package dev.lowrank.compress;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * One linear layer's entry in a {@link CompressionResult}.
 *
 * <p>Parameter accounting is exact: a dense layer counts {@code n m}, a factorized one {@code r (n
 * + m)}, and both add {@code n} when the layer has a bias (the bias is always kept). A layer that
 * stays dense is unchanged, so its energy kept is 1 and its error 0.
 *
 * @param name the layer name as its framework spells it
 * @param outFeatures {@code n}, rows of {@code W}
 * @param inFeatures {@code m}, columns of {@code W}
 * @param hasBias whether the layer has a bias
 * @param status what happened to the layer
 * @param rank the rank of the factors, when the layer is factorized (or was already)
 * @param reason why the layer stayed dense, when it did
 * @param parametersBefore parameters of the layer in the input
 * @param parametersAfter parameters of the layer in the output
 * @param energyKept {@code sum_{i<=r} s_i^2 / ||W||_F^2}, 1 for a dense layer
 * @param relativeError {@code ||W - B A||_F / ||W||_F}, measured on the written factors; 0 for a
 *     dense layer
 * @param svd the SVD algorithm that produced the factors, when one ran
 */
public record LayerResult(
    String name,
    int outFeatures,
    int inFeatures,
    boolean hasBias,
    LayerStatus status,
    OptionalInt rank,
    Optional<String> reason,
    long parametersBefore,
    long parametersAfter,
    double energyKept,
    double relativeError,
    Optional<String> svd) {

  /**
   * Returns the shape of {@code W} as {@code "n x m"}.
   *
   * @return the printable shape
   */
  public String shape() {
    return outFeatures + "x" + inFeatures;
  }

  /**
   * Returns whether the layer was factorized by this run.
   *
   * @return {@code true} for {@link LayerStatus#FACTORIZED}
   */
  public boolean factorized() {
    return status == LayerStatus.FACTORIZED;
  }
}
