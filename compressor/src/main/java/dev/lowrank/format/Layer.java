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
 * <p>A convolution ({@link LayerKind#CONV2D}) also carries its {@link ConvGeometry}; its {@code n x
 * m} is the channel form {@code C_out x (C_in kh kw)}, and when it is already factorized {@link
 * #form()} says in which {@link ConvForm} its factors are.
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
 * @param conv the geometry of a convolution, empty for other kinds
 * @param form the form of the factors of an already factorized convolution, else empty
 */
public record Layer(
    String name,
    LayerKind kind,
    int outFeatures,
    int inFeatures,
    boolean hasBias,
    OptionalInt lowRank,
    Optional<String> ineligible,
    Optional<ConvGeometry> conv,
    Optional<ConvForm> form) {

  /** Checks the fields. */
  public Layer {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(lowRank, "lowRank");
    Objects.requireNonNull(ineligible, "ineligible");
    Objects.requireNonNull(conv, "conv");
    Objects.requireNonNull(form, "form");
    if (outFeatures < 0 || inFeatures < 0) {
      throw new IllegalArgumentException(
          "Layer " + name + " has a negative shape " + outFeatures + "x" + inFeatures);
    }
    if ((kind == LayerKind.CONV2D) != conv.isPresent()) {
      throw new IllegalArgumentException(
          "Layer " + name + ": a convolution needs its geometry, other kinds have none");
    }
    if (conv.isPresent()
        && (conv.get().outChannels() != outFeatures || conv.get().patchSize() != inFeatures)) {
      throw new IllegalArgumentException(
          "Layer "
              + name
              + ": the channel form of "
              + conv.get().describe()
              + " is "
              + conv.get().outChannels()
              + "x"
              + conv.get().patchSize()
              + ", not "
              + outFeatures
              + "x"
              + inFeatures);
    }
    if (form.isPresent() && (conv.isEmpty() || lowRank.isEmpty())) {
      throw new IllegalArgumentException(
          "Layer " + name + ": only a factorized convolution has a factor form");
    }
  }

  /**
   * Describes a layer without convolution fields (the constructor before convolutions existed).
   *
   * @param name the layer name
   * @param kind its kind, not {@link LayerKind#CONV2D}
   * @param outFeatures rows of W
   * @param inFeatures columns of W
   * @param hasBias whether there is a bias
   * @param lowRank the rank when already factorized
   * @param ineligible why it must stay dense, if it must
   */
  public Layer(
      String name,
      LayerKind kind,
      int outFeatures,
      int inFeatures,
      boolean hasBias,
      OptionalInt lowRank,
      Optional<String> ineligible) {
    this(
        name,
        kind,
        outFeatures,
        inFeatures,
        hasBias,
        lowRank,
        ineligible,
        Optional.empty(),
        Optional.empty());
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
   * Describes a dense 2-D convolution that may be factorized; its matrix is the channel form {@code
   * C_out x (C_in kh kw)}.
   *
   * @param name the layer name
   * @param geometry its channels, kernel, stride, padding, dilation and groups
   * @param hasBias whether there is a bias of {@code C_out} values
   * @return the layer
   */
  public static Layer conv(String name, ConvGeometry geometry, boolean hasBias) {
    return new Layer(
        name,
        LayerKind.CONV2D,
        geometry.outChannels(),
        geometry.patchSize(),
        hasBias,
        OptionalInt.empty(),
        Optional.empty(),
        Optional.of(geometry),
        Optional.empty());
  }

  /**
   * Returns a copy of this layer marked as ineligible for factorization.
   *
   * @param reason why it must stay dense, a sentence fragment
   * @return the marked layer
   */
  public Layer withIneligible(String reason) {
    return new Layer(
        name, kind, outFeatures, inFeatures, hasBias, lowRank, Optional.of(reason), conv, form);
  }

  /**
   * Returns a copy of this layer marked as already factorized at a rank (a convolution: in the
   * channel form).
   *
   * @param rank the rank of the factors it holds
   * @return the marked layer
   */
  public Layer withLowRank(int rank) {
    return withLowRank(rank, ConvForm.CHANNEL);
  }

  /**
   * Returns a copy of this layer marked as already factorized at a rank, in a form (ignored for
   * layers that are not convolutions).
   *
   * @param rank the rank of the factors it holds
   * @param factorForm the form of a convolution's factors
   * @return the marked layer
   */
  public Layer withLowRank(int rank, ConvForm factorForm) {
    return new Layer(
        name,
        kind,
        outFeatures,
        inFeatures,
        hasBias,
        OptionalInt.of(rank),
        ineligible,
        conv,
        conv.isPresent() ? Optional.of(factorForm) : Optional.empty());
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
   * Returns the number of parameters the layer holds now: {@code n m} (or the factors' weights when
   * already factorized) plus {@code n} for the bias.
   *
   * @return the parameter count
   */
  public long parameters() {
    if (lowRank.isEmpty()) {
      return denseParameters();
    }
    return form.isPresent()
        ? parametersAtRank(lowRank.getAsInt(), form.get())
        : parametersAtRank(lowRank.getAsInt());
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
   * plus the bias (for a convolution, the channel form).
   *
   * @param r the rank
   * @return the parameter count
   */
  public long parametersAtRank(int r) {
    return (long) r * ((long) outFeatures + inFeatures) + bias();
  }

  /**
   * Returns the number of parameters of a convolution factorized at rank {@code r} in a form:
   * {@code r (rows + cols)} of that form's matrix plus the bias.
   *
   * @param r the rank
   * @param factorForm the form
   * @return the parameter count
   * @throws IllegalStateException if the layer is not a convolution
   */
  public long parametersAtRank(int r, ConvForm factorForm) {
    ConvGeometry g = conv.orElseThrow(() -> new IllegalStateException(name + " is no convolution"));
    return factorForm.weightsAtRank(g, r) + bias();
  }

  /**
   * Returns the shape of {@code W} as {@code "n x m"}.
   *
   * @return the printable shape
   */
  public String shape() {
    return outFeatures + "x" + inFeatures;
  }

  /**
   * Returns the shape as reports show it: {@code "n x m"} for a linear layer, the kernel and its
   * geometry for a convolution, e.g. {@code 64x64x3x3 s1 p1} ({@code C_out x C_in/groups x kh x
   * kw}), with the form of its factors when it is already factorized.
   *
   * @return the printable description
   */
  public String describe() {
    if (conv.isEmpty()) {
      return shape();
    }
    ConvGeometry g = conv.get();
    String kernel =
        g.outChannels()
            + "x"
            + g.inChannels() / g.groups()
            + "x"
            + g.kernelHeight()
            + "x"
            + g.kernelWidth();
    String geometry = g.describe();
    return kernel
        + geometry.substring(geometry.indexOf(' '))
        + form.map(f -> " " + f.label()).orElse("");
  }

  private long bias() {
    return hasBias ? outFeatures : 0;
  }
}
