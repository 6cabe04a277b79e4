package dev.lowrank.compress;

import java.util.Objects;
import java.util.Optional;

/**
 * How well a factorized layer reproduces its output on the calibration data: the data-weighted
 * error of {@code B A} next to the best any rank-{@code r} matrix can reach.
 *
 * <p>With {@code X} the layer's inputs on the calibration data (padding left out) and {@code G = X
 * X^T / N}, the output energy is {@code ||W X||_F^2} and the data-weighted error {@code ||(W - B A)
 * X||_F / ||W X||_F}; its optimum over all rank-{@code r} matrices is {@code sqrt(sum_{i>r} s_i(W
 * C)^2) / ||W C||_F} with {@code C C^T = G} (what {@link TruncationMethod#WHITENED} reaches, up to
 * the SVD's accuracy). With {@code --sequential}, the error compares with the original model's
 * output, {@code ||W X_o - B A X_c||_F / ||W X_o||_F}, and the optimum is the regression's.
 *
 * <p>For a convolution {@code X} holds its input patches ({@code C_in kh kw} values per output
 * position) and {@code W} is its channel form {@code C_out x (C_in kh kw)}; factors in the spatial
 * form are measured by the channel form of their product, and their optimum is unknown ({@code
 * NaN}: the optimum above is the channel form's, which the spatial form does not reach).
 *
 * @param method the method that produced the factors
 * @param dataEnergyKept the share of the output energy on the data the factors keep, {@code
 *     sum_{i<=r} s_i^2 / sum s_i^2} of the scaled matrix ({@code NaN} when unknown)
 * @param dataError the data-weighted relative error, measured on the written factors ({@code NaN}
 *     without a Gram matrix, as with {@link TruncationMethod#ACTIVATION} alone)
 * @param dataOptimum the smallest data-weighted relative error of any rank-{@code r} matrix, from
 *     the exact singular values ({@code NaN} when not computed)
 * @param sharedWith the layer whose input statistics this layer shares (they are fed the same
 *     tensor), empty when it has its own
 * @param whitening how {@code C} was computed ({@code cholesky}, {@code pivoted-cholesky (rank
 *     k/m)}, ...), empty without one
 * @param sequential whether the factors were fitted to the original model's output with the earlier
 *     layers already compressed
 * @param note how the data shaped a convolution's form, when it did ({@code chosen over spatial
 *     (data error 0.2345)}, or why the data-aware truncation took the channel form), else empty
 */
public record DataFit(
    TruncationMethod method,
    double dataEnergyKept,
    double dataError,
    double dataOptimum,
    Optional<String> sharedWith,
    Optional<String> whitening,
    boolean sequential,
    Optional<String> note) {

  /** Checks the fields. */
  public DataFit {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(sharedWith, "sharedWith");
    Objects.requireNonNull(whitening, "whitening");
    Objects.requireNonNull(note, "note");
  }

  /**
   * Describes a fit without a note.
   *
   * @param method the method that produced the factors
   * @param dataEnergyKept the share of the output energy kept
   * @param dataError the data-weighted relative error
   * @param dataOptimum the smallest data-weighted relative error at the rank
   * @param sharedWith the layer whose statistics this one shares
   * @param whitening how {@code C} was computed
   * @param sequential whether the factors were fitted sequentially
   */
  public DataFit(
      TruncationMethod method,
      double dataEnergyKept,
      double dataError,
      double dataOptimum,
      Optional<String> sharedWith,
      Optional<String> whitening,
      boolean sequential) {
    this(
        method,
        dataEnergyKept,
        dataError,
        dataOptimum,
        sharedWith,
        whitening,
        sequential,
        Optional.empty());
  }

  /**
   * Returns this fit with a note.
   *
   * @param text the note
   * @return the same figures with {@link #note()} set
   */
  public DataFit withNote(String text) {
    return new DataFit(
        method,
        dataEnergyKept,
        dataError,
        dataOptimum,
        sharedWith,
        whitening,
        sequential,
        Optional.of(text));
  }

  /**
   * Returns the data-weighted error over its optimum.
   *
   * @return {@code dataError / dataOptimum} (1 is optimal), {@code NaN} when either is unknown
   */
  public double optimality() {
    if (Double.isNaN(dataError) || Double.isNaN(dataOptimum)) {
      return Double.NaN;
    }
    if (dataOptimum == 0) {
      return dataError == 0 ? 1 : Double.POSITIVE_INFINITY;
    }
    return dataError / dataOptimum;
  }
}
