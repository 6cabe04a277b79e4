package dev.lowrank.format;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * A dense linear layer {@code y = W x + b} found in a model, as a {@link SourceModel} reports it.
 *
 * @param name the layer's name as its framework spells it ({@code enc.layers.0.linear1} for
 *     PyTorch, the block path for DJL)
 * @param outFeatures {@code n}, the rows of {@code W}
 * @param inFeatures {@code m}, the columns of {@code W}
 * @param hasBias whether the layer adds a bias {@code b} of {@code n} values
 * @param lowRank the rank when the layer is already factorized ({@code W = B A}), empty when it
 *     holds a dense {@code W}
 * @param ineligible why the layer must stay dense whatever the settings (for example, its parent
 *     reads {@code W} directly), empty when it may be factorized
 */
public record LinearLayer(
    String name,
    int outFeatures,
    int inFeatures,
    boolean hasBias,
    OptionalInt lowRank,
    Optional<String> ineligible) {

  /**
   * Describes a dense layer that may be factorized.
   *
   * @param name the layer name
   * @param outFeatures rows of W
   * @param inFeatures columns of W
   * @param hasBias whether there is a bias
   * @return the layer
   */
  public static LinearLayer dense(String name, int outFeatures, int inFeatures, boolean hasBias) {
    return new LinearLayer(
        name, outFeatures, inFeatures, hasBias, OptionalInt.empty(), Optional.empty());
  }

  /**
   * Returns a copy of this layer marked as ineligible for factorization.
   *
   * @param reason why it must stay dense, a sentence fragment
   * @return the marked layer
   */
  public LinearLayer withIneligible(String reason) {
    return new LinearLayer(name, outFeatures, inFeatures, hasBias, lowRank, Optional.of(reason));
  }

  /**
   * Returns the number of parameters the layer holds now: {@code n m} (or {@code r (n + m)} when
   * already factorized) plus {@code n} for the bias.
   *
   * @return the parameter count
   */
  public long parameters() {
    long n = outFeatures;
    long m = inFeatures;
    long weights = lowRank.isPresent() ? lowRank.getAsInt() * (n + m) : n * m;
    return weights + (hasBias ? n : 0);
  }

  /**
   * Returns the number of parameters of the dense form, {@code n m} plus the bias.
   *
   * @return the dense parameter count
   */
  public long denseParameters() {
    return (long) outFeatures * inFeatures + (hasBias ? outFeatures : 0);
  }

  /**
   * Returns the shape of {@code W} as {@code "n x m"}.
   *
   * @return the printable shape
   */
  public String shape() {
    return outFeatures + "x" + inFeatures;
  }
}
