package dev.lowrank.format;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A layer a {@link SourceModel} lists for factorization: its name, its kind and the shape of its
 * weight as a matrix {@code W} (n x m), whether it has a bias, and whether it is already factorized
 * or must stay dense. The one description of a layer that the compressor's results, inspect's
 * summaries and eval's parameter tables hold.
 *
 * @param name the layer's name as its framework spells it ({@code enc.layers.0.linear1} for
 *     PyTorch, the block path for DJL)
 * @param kind what kind of layer it is
 * @param outFeatures {@code n}, the rows of {@code W}
 * @param inFeatures {@code m}, the columns of {@code W}
 * @param hasBias whether the layer adds a bias {@code b} of {@code n} values
 * @param lowRank the rank when the layer is already factorized ({@code W = B A}), empty when it
 *     holds a dense {@code W}
 * @param ineligible why the layer must stay dense whatever the settings (for example, its parent
 *     reads {@code W} directly), empty when it may be factorized
 */
public record Layer(
    String name,
    LayerKind kind,
    int outFeatures,
    int inFeatures,
    boolean hasBias,
    OptionalInt lowRank,
    Optional<String> ineligible) {

  /** Checks the fields. */
  public Layer {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(lowRank, "lowRank");
    Objects.requireNonNull(ineligible, "ineligible");
    if (outFeatures < 0 || inFeatures < 0) {
      throw new IllegalArgumentException(
          "Layer " + name + " has a negative shape " + outFeatures + "x" + inFeatures);
    }
  }

  /**
   * Describes a dense linear layer that may be factorized.
   *
   * @param name the layer name
   * @param outFeatures rows of W
   * @param inFeatures columns of W
   * @param hasBias whether there is a bias
   * @return the layer
   */
  public static Layer linear(String name, int outFeatures, int inFeatures, boolean hasBias) {
    return new Layer(
        name,
        LayerKind.LINEAR,
        outFeatures,
        inFeatures,
        hasBias,
        OptionalInt.empty(),
        Optional.empty());
  }

  /**
   * Returns a copy of this layer marked as ineligible for factorization.
   *
   * @param reason why it must stay dense, a sentence fragment
   * @return the marked layer
   */
  public Layer withIneligible(String reason) {
    return new Layer(name, kind, outFeatures, inFeatures, hasBias, lowRank, Optional.of(reason));
  }

  /**
   * Returns a copy of this layer marked as already factorized at a rank.
   *
   * @param rank the rank of the factors it holds
   * @return the marked layer
   */
  public Layer withLowRank(int rank) {
    return new Layer(
        name, kind, outFeatures, inFeatures, hasBias, OptionalInt.of(rank), ineligible);
  }

  /**
   * Returns whether the compressor may factorize this layer: it holds a dense weight and nothing
   * keeps it dense.
   *
   * @return {@code true} for a dense, eligible layer
   */
  public boolean factorizable() {
    return lowRank.isEmpty() && ineligible.isEmpty();
  }

  /**
   * Returns the number of parameters the layer holds now: {@code n m} (or {@code r (n + m)} when
   * already factorized) plus {@code n} for the bias.
   *
   * @return the parameter count
   */
  public long parameters() {
    return lowRank.isPresent() ? parametersAtRank(lowRank.getAsInt()) : denseParameters();
  }

  /**
   * Returns the number of parameters of the dense form, {@code n m} plus the bias.
   *
   * @return the dense parameter count
   */
  public long denseParameters() {
    return (long) outFeatures * inFeatures + bias();
  }

  /**
   * Returns the number of parameters of the layer factorized at rank {@code r}: {@code r (n + m)}
   * plus the bias.
   *
   * @param r the rank
   * @return the parameter count
   */
  public long parametersAtRank(int r) {
    return (long) r * ((long) outFeatures + inFeatures) + bias();
  }

  /**
   * Returns the shape of {@code W} as {@code "n x m"}.
   *
   * @return the printable shape
   */
  public String shape() {
    return outFeatures + "x" + inFeatures;
  }

  private long bias() {
    return hasBias ? outFeatures : 0;
  }
}
