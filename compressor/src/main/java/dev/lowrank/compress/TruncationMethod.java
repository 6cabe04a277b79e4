package dev.lowrank.compress;

import java.util.Locale;

/**
 * How a layer's weight {@code W} is truncated to rank {@code r}.
 *
 * <ul>
 *   <li>{@link #PLAIN}: the truncated SVD of {@code W}, minimizing {@code ||W - B A||_F}.
 *   <li>{@link #WHITENED} (SVD-LLM, Wang et al. 2024): the truncated SVD of {@code W C} with {@code
 *       C C^T = G} the Gram matrix of the layer's inputs on calibration data, minimizing {@code
 *       ||(W - B A) X||_F} over all rank-r matrices: the error of the layer's output on the data.
 *   <li>{@link #ACTIVATION} (ASVD, Yuan et al. 2023): the truncated SVD of {@code W diag(s^alpha)}
 *       with {@code s_j} the mean {@code |x_j|} of the layer's inputs; needs no {@code m x m}
 *       matrix, for very wide inputs.
 * </ul>
 *
 * <p>In the data-aware methods {@code B A = U_r U_r^T W} with {@code U_r} the leading left singular
 * vectors of the scaled matrix: {@code B = U_r S_r}, {@code A = S_r^{-1} U_r^T W}.
 */
public enum TruncationMethod {
  /** Truncated SVD of the weight. */
  PLAIN,
  /** Truncated SVD of the weight whitened by the inputs' Gram matrix. */
  WHITENED,
  /** Truncated SVD of the weight scaled by the inputs' mean absolute values. */
  ACTIVATION;

  /**
   * Returns the lower-case name the CLI and manifests use.
   *
   * @return {@code plain}, {@code whitened} or {@code activation}
   */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Returns whether the method needs calibration data.
   *
   * @return {@code true} for the data-aware methods
   */
  public boolean needsData() {
    return this != PLAIN;
  }
}
