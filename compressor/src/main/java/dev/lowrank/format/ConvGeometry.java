package dev.lowrank.format;

import java.util.Locale;

/**
 * The geometry of a 2-D convolution {@code y = conv2d(x, W) + b} with {@code W} of shape {@code
 * C_out x (C_in / groups) x kh x kw}: channels, kernel, stride, padding, dilation and groups, the
 * fields PyTorch's {@code nn.Conv2d} and DJL's {@code Conv2d} share.
 *
 * <p>The matrix a {@link SourceModel} hands over for a convolution ({@link LayerKind#CONV2D}) is
 * the <em>channel form</em>: {@code W} reshaped to {@code C_out x (C_in kh kw)}, its columns the
 * patch elements in the order {@code (c, i, j)} (input channel, kernel row, kernel column), the
 * order of {@code torch.nn.functional.unfold}'s patch vectors. So {@code y = W_c p + b} for every
 * output pixel with {@code p} its input patch, and a Gram matrix {@code P^T P} of input patches in
 * that layout whitens the channel form exactly as an input Gram matrix whitens a linear layer.
 *
 * @param outChannels {@code C_out}
 * @param inChannels {@code C_in} (all groups)
 * @param kernelHeight {@code kh}
 * @param kernelWidth {@code kw}
 * @param strideHeight the vertical stride
 * @param strideWidth the horizontal stride
 * @param padHeight zero padding above and below
 * @param padWidth zero padding left and right
 * @param dilationHeight the vertical dilation
 * @param dilationWidth the horizontal dilation
 * @param groups the number of groups ({@code C_in} and {@code C_out} are divisible by it)
 */
public record ConvGeometry(
    int outChannels,
    int inChannels,
    int kernelHeight,
    int kernelWidth,
    int strideHeight,
    int strideWidth,
    int padHeight,
    int padWidth,
    int dilationHeight,
    int dilationWidth,
    int groups) {

  /** Checks the fields. */
  public ConvGeometry {
    if (outChannels < 1
        || inChannels < 1
        || kernelHeight < 1
        || kernelWidth < 1
        || strideHeight < 1
        || strideWidth < 1
        || padHeight < 0
        || padWidth < 0
        || dilationHeight < 1
        || dilationWidth < 1
        || groups < 1
        || inChannels % groups != 0
        || outChannels % groups != 0) {
      throw new IllegalArgumentException(
          "Not a convolution geometry: "
              + outChannels
              + " x "
              + inChannels
              + " channels, kernel "
              + kernelHeight
              + "x"
              + kernelWidth
              + ", groups "
              + groups
              + " (channels, kernel, stride and dilation must be >= 1, padding >= 0, groups"
              + " divide the channels)");
    }
  }

  /**
   * Describes the common case: groups 1, the same stride, padding and dilation on both axes.
   *
   * @param outChannels {@code C_out}
   * @param inChannels {@code C_in}
   * @param kernelHeight {@code kh}
   * @param kernelWidth {@code kw}
   * @param stride the stride on both axes
   * @param padding the padding on both axes
   * @return the geometry, dilation 1
   */
  public static ConvGeometry of(
      int outChannels, int inChannels, int kernelHeight, int kernelWidth, int stride, int padding) {
    return new ConvGeometry(
        outChannels,
        inChannels,
        kernelHeight,
        kernelWidth,
        stride,
        stride,
        padding,
        padding,
        1,
        1,
        1);
  }

  /**
   * Returns the patch length {@code (C_in / groups) kh kw}: the columns of the channel form.
   *
   * @return the patch length
   */
  public int patchSize() {
    return Math.multiplyExact(inChannels / groups, Math.multiplyExact(kernelHeight, kernelWidth));
  }

  /**
   * Returns the number of kernel weights, {@code C_out (C_in / groups) kh kw}.
   *
   * @return the dense weight count without bias
   */
  public long weights() {
    return (long) outChannels * patchSize();
  }

  /**
   * Returns whether the convolution mixes all input channels in every output ({@code groups == 1}):
   * grouped and depthwise convolutions are not factorized.
   *
   * @return {@code true} for an ordinary convolution
   */
  public boolean ungrouped() {
    return groups == 1;
  }

  /**
   * Returns a short description, e.g. {@code 3x3 s2 p1} (dilation and groups only when not 1).
   *
   * @return the description
   */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append(kernelHeight).append('x').append(kernelWidth);
    sb.append(" s").append(pair(strideHeight, strideWidth));
    sb.append(" p").append(pair(padHeight, padWidth));
    if (dilationHeight != 1 || dilationWidth != 1) {
      sb.append(" d").append(pair(dilationHeight, dilationWidth));
    }
    if (groups != 1) {
      sb.append(" g").append(groups);
    }
    return sb.toString();
  }

  private static String pair(int a, int b) {
    return a == b ? Integer.toString(a) : String.format(Locale.ROOT, "%d,%d", a, b);
  }
}
