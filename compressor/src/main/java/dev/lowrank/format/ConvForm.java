package dev.lowrank.format;

import java.util.Locale;

/**
 * How a factorized convolution holds its factors: the matrix arrangement of its kernel that was
 * truncated, and the two convolutions that replace it. Both keep the layer's output shape and bias.
 *
 * <ul>
 *   <li>{@link #CHANNEL} (AIMET's "weight SVD"): {@code W} as {@code C_out x (C_in kh kw)} (the
 *       matrix {@link SourceModel#readWeight} returns) truncated to {@code B A}; a convolution with
 *       {@code r} filters of {@code C_in x kh x kw} (the original stride, padding and dilation)
 *       computes {@code A}, then a 1x1 convolution from {@code r} to {@code C_out} computes {@code
 *       B} and adds the bias. {@code r (C_out + C_in kh kw)} weights.
 *   <li>{@link #SPATIAL} (Jaderberg, Vedaldi, Zisserman 2014): {@code W} arranged as {@code (C_in
 *       kh) x (kw C_out)} truncated to {@code P Q}; a {@code kh x 1} convolution from {@code C_in}
 *       to {@code r} channels (vertical stride, padding, dilation) computes {@code P}, then a
 *       {@code 1 x kw} convolution from {@code r} to {@code C_out} (horizontal ones) computes
 *       {@code Q} and adds the bias. {@code r (C_in kh + kw C_out)} weights.
 * </ul>
 *
 * <p>For the spatial form the factors a format receives are {@code B = P} ({@code C_in kh x r}) and
 * {@code A = Q} ({@code r x kw C_out}), with rows of {@code P} indexed {@code c kh + i} and columns
 * of {@code Q} indexed {@code j C_out + o} (see {@code dev.lowrank.linalg.ConvKernels}).
 */
public enum ConvForm {
  /** {@code C_out x (C_in kh kw)}: an {@code r}-filter convolution, then a 1x1 convolution. */
  CHANNEL,
  /** {@code (C_in kh) x (kw C_out)}: a {@code kh x 1} convolution, then a {@code 1 x kw} one. */
  SPATIAL;

  /**
   * Returns the rows of the matrix this form truncates.
   *
   * @param g the convolution
   * @return {@code C_out} or {@code C_in kh}
   */
  public int rows(ConvGeometry g) {
    return this == CHANNEL
        ? g.outChannels()
        : Math.multiplyExact(g.inChannels() / g.groups(), g.kernelHeight());
  }

  /**
   * Returns the columns of the matrix this form truncates.
   *
   * @param g the convolution
   * @return {@code C_in kh kw} or {@code kw C_out}
   */
  public int cols(ConvGeometry g) {
    return this == CHANNEL ? g.patchSize() : Math.multiplyExact(g.kernelWidth(), g.outChannels());
  }

  /**
   * Returns the weights of the two convolutions at rank {@code r}, {@code r (rows + cols)}, without
   * the bias.
   *
   * @param g the convolution
   * @param r the rank
   * @return the factor weights
   */
  public long weightsAtRank(ConvGeometry g, int r) {
    return (long) r * ((long) rows(g) + cols(g));
  }

  /**
   * Returns the lower-case name used in reports and options: {@code channel} or {@code spatial}.
   *
   * @return the name
   */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Returns the form of a label.
   *
   * @param label {@code channel} or {@code spatial}, any case
   * @return the form
   * @throws IllegalArgumentException for another label
   */
  public static ConvForm ofLabel(String label) {
    for (ConvForm f : values()) {
      if (f.label().equalsIgnoreCase(label)) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "'" + label + "' is not a convolution form; use channel or spatial");
  }
}
