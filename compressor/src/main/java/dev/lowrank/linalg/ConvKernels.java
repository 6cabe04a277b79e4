package dev.lowrank.linalg;

/**
 * The index permutations between a 2-D convolution kernel {@code W[o][c][i][j]} ({@code C_out x
 * C_in x kh x kw}, row-major, PyTorch's and DJL's layout) and the matrices its low-rank forms
 * truncate, and from a form's factors to the kernels of the two convolutions that replace it.
 *
 * <ul>
 *   <li>channel form {@code C_out x (C_in kh kw)}: {@code W_c[o][(c kh + i) kw + j] =
 *       W[o][c][i][j]} (the kernel's own memory order); its factors {@code A} ({@code r x C_in kh
 *       kw}) and {@code B} ({@code C_out x r}) are the kernels {@code r x C_in x kh x kw} and
 *       {@code C_out x r x 1 x 1} as they are;
 *   <li>spatial form {@code (C_in kh) x (kw C_out)}: {@code W_s[c kh + i][j C_out + o] =
 *       W[o][c][i][j]}; its factors {@code P = B} ({@code C_in kh x r}) and {@code Q = A} ({@code r
 *       x kw C_out}) become a vertical kernel {@code r x C_in x kh x 1} with {@code V[k][c][i][0] =
 *       P[c kh + i][k]} and a horizontal one {@code C_out x r x 1 x kw} with {@code H[o][k][0][j] =
 *       Q[k][j C_out + o]}, so that {@code sum_k H[o][k][j] V[k][c][i] = (P Q)[c kh + i][j C_out +
 *       o]}.
 * </ul>
 *
 * <p>Every map is a permutation, so Frobenius norms, singular values and the truncation error are
 * those of the kernel whichever way it is arranged.
 */
public final class ConvKernels {

  private ConvKernels() {}

  /**
   * Rearranges a kernel in channel form into the spatial form.
   *
   * @param channel {@code C_out x (C_in kh kw)}
   * @param inChannels {@code C_in}
   * @param kh the kernel height
   * @param kw the kernel width
   * @return a new {@code (C_in kh) x (kw C_out)} matrix
   * @throws IllegalArgumentException if the shape does not match the geometry
   */
  public static FloatMatrix channelToSpatial(FloatMatrix channel, int inChannels, int kh, int kw) {
    int cOut = channel.rows();
    check(channel, cOut, inChannels, kh, kw);
    float[] src = channel.data();
    int rows = Math.multiplyExact(inChannels, kh);
    int cols = Math.multiplyExact(kw, cOut);
    float[] out = new float[Math.multiplyExact(rows, cols)];
    int patch = inChannels * kh * kw;
    for (int o = 0; o < cOut; o++) {
      for (int c = 0; c < inChannels; c++) {
        for (int i = 0; i < kh; i++) {
          int from = o * patch + (c * kh + i) * kw;
          int row = (c * kh + i) * cols;
          for (int j = 0; j < kw; j++) {
            out[row + j * cOut + o] = src[from + j];
          }
        }
      }
    }
    return FloatMatrix.wrap(rows, cols, out);
  }

  /**
   * Rearranges a kernel in spatial form back into the channel form.
   *
   * @param spatial {@code (C_in kh) x (kw C_out)}
   * @param outChannels {@code C_out}
   * @param kh the kernel height
   * @param kw the kernel width
   * @return a new {@code C_out x (C_in kh kw)} matrix
   * @throws IllegalArgumentException if the shape does not match the geometry
   */
  public static FloatMatrix spatialToChannel(FloatMatrix spatial, int outChannels, int kh, int kw) {
    if (kh < 1
        || kw < 1
        || spatial.rows() % kh != 0
        || spatial.cols() != Math.multiplyExact(kw, outChannels)) {
      throw new IllegalArgumentException(
          "A spatial-form kernel of "
              + outChannels
              + " outputs and a "
              + kh
              + "x"
              + kw
              + " kernel cannot be "
              + spatial.shape());
    }
    int inChannels = spatial.rows() / kh;
    int patch = inChannels * kh * kw;
    float[] src = spatial.data();
    float[] out = new float[Math.multiplyExact(outChannels, patch)];
    int cols = spatial.cols();
    for (int c = 0; c < inChannels; c++) {
      for (int i = 0; i < kh; i++) {
        int row = (c * kh + i) * cols;
        for (int j = 0; j < kw; j++) {
          for (int o = 0; o < outChannels; o++) {
            out[o * patch + (c * kh + i) * kw + j] = src[row + j * outChannels + o];
          }
        }
      }
    }
    return FloatMatrix.wrap(outChannels, patch, out);
  }

  /**
   * Returns the vertical kernel of spatial factors, {@code r x C_in x kh x 1} flattened to {@code r
   * x (C_in kh)}: the transpose of {@code P = B}.
   *
   * @param factors spatial-form factors ({@code B = P}: {@code C_in kh x r})
   * @return a new {@code r x (C_in kh)} matrix
   */
  public static FloatMatrix spatialVertical(LowRankFactors factors) {
    FloatMatrix p = factors.b();
    int r = p.cols();
    int n = p.rows();
    float[] out = new float[Math.multiplyExact(r, n)];
    float[] src = p.data();
    for (int row = 0; row < n; row++) {
      for (int k = 0; k < r; k++) {
        out[k * n + row] = src[row * r + k];
      }
    }
    return FloatMatrix.wrap(r, n, out);
  }

  /**
   * Returns the horizontal kernel of spatial factors, {@code C_out x r x 1 x kw} flattened to
   * {@code C_out x (r kw)}.
   *
   * @param factors spatial-form factors ({@code A = Q}: {@code r x kw C_out})
   * @param outChannels {@code C_out}
   * @param kw the kernel width
   * @return a new {@code C_out x (r kw)} matrix
   * @throws IllegalArgumentException if {@code A}'s columns are not {@code kw C_out}
   */
  public static FloatMatrix spatialHorizontal(LowRankFactors factors, int outChannels, int kw) {
    FloatMatrix q = factors.a();
    int r = q.rows();
    if (q.cols() != Math.multiplyExact(kw, outChannels)) {
      throw new IllegalArgumentException(
          "Spatial factor A is " + q.shape() + ", not r x " + kw + "*" + outChannels);
    }
    float[] src = q.data();
    float[] out = new float[Math.multiplyExact(outChannels, r * kw)];
    for (int o = 0; o < outChannels; o++) {
      for (int k = 0; k < r; k++) {
        for (int j = 0; j < kw; j++) {
          out[(o * r + k) * kw + j] = src[k * q.cols() + j * outChannels + o];
        }
      }
    }
    return FloatMatrix.wrap(outChannels, r * kw, out);
  }

  /**
   * Rebuilds spatial factors from the two kernels {@link #spatialVertical} and {@link
   * #spatialHorizontal} return (what a format reads back from a file it wrote).
   *
   * @param vertical {@code r x (C_in kh)}
   * @param horizontal {@code C_out x (r kw)}
   * @param kw the kernel width
   * @return the factors {@code B = P}, {@code A = Q}
   */
  public static LowRankFactors spatialFactors(
      FloatMatrix vertical, FloatMatrix horizontal, int kw) {
    int r = vertical.rows();
    int n = vertical.cols();
    int cOut = horizontal.rows();
    if (horizontal.cols() != Math.multiplyExact(r, kw)) {
      throw new IllegalArgumentException(
          "Kernels " + vertical.shape() + " and " + horizontal.shape() + " do not chain");
    }
    float[] p = new float[Math.multiplyExact(n, r)];
    float[] v = vertical.data();
    for (int k = 0; k < r; k++) {
      for (int row = 0; row < n; row++) {
        p[row * r + k] = v[k * n + row];
      }
    }
    int cols = kw * cOut;
    float[] q = new float[Math.multiplyExact(r, cols)];
    float[] h = horizontal.data();
    for (int o = 0; o < cOut; o++) {
      for (int k = 0; k < r; k++) {
        for (int j = 0; j < kw; j++) {
          q[k * cols + j * cOut + o] = h[(o * r + k) * kw + j];
        }
      }
    }
    return new LowRankFactors(FloatMatrix.wrap(r, cols, q), FloatMatrix.wrap(n, r, p));
  }

  private static void check(FloatMatrix channel, int cOut, int inChannels, int kh, int kw) {
    if (inChannels < 1 || kh < 1 || kw < 1 || channel.cols() != (long) inChannels * kh * kw) {
      throw new IllegalArgumentException(
          "A channel-form kernel of "
              + cOut
              + " outputs, "
              + inChannels
              + " inputs and a "
              + kh
              + "x"
              + kw
              + " kernel cannot be "
              + channel.shape());
    }
  }
}
