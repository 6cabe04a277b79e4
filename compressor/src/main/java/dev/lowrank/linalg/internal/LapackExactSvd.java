package dev.lowrank.linalg.internal;

import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdAlgorithm;
import dev.lowrank.linalg.SvdBackend;
import dev.lowrank.linalg.TruncatedSvd;

/**
 * Exact SVD through LAPACK's divide-and-conquer {@code sgesdd}, from the OpenBLAS build that ND4J
 * 1.0.0-M2.1 ships ({@code org.bytedeco:openblas:0.3.19-1.5.7}).
 *
 * <p>LAPACK is column-major and its {@code sgesdd} is about twice as fast on a tall matrix as on
 * the same matrix transposed (measured in {@code docs/linalg.md}). A wide or square row-major
 * {@code W} is handed over as-is, which LAPACK reads as the tall {@code A = W^T}: from {@code A =
 * U_A S V_A^T} follows {@code W = V_A S U_A^T}, and the outputs need no transposition either. A
 * tall {@code W} is copied into column-major order first.
 */
public final class LapackExactSvd implements SvdBackend {

  /** The method name of this backend. */
  public static final String METHOD = "exact";

  @Override
  public String name() {
    return METHOD;
  }

  @Override
  public TruncatedSvd decompose(FloatMatrix w, RankTarget target) {
    double energy = Inputs.checkedEnergy(w, target);
    return BlasCoordinator.call(() -> decompose(w, energy, SvdAlgorithm.EXACT));
  }

  /**
   * Runs the exact SVD of a checked input, without entering {@link BlasCoordinator} (the caller
   * has).
   *
   * @param w the matrix
   * @param energy {@code ||w||_F^2}
   * @param method the algorithm the result names
   */
  static TruncatedSvd decompose(FloatMatrix w, double energy, SvdAlgorithm method) {
    boolean tall = w.rows() > w.cols();
    try (NativeMatrix a = tall ? NativeMatrix.of(w) : NativeMatrix.transposeOf(w);
        NativeMatrix.Svd svd = a.svdDestroying()) {
      if (tall) {
        return new TruncatedSvd(
            svd.u().toRowMajor(), svd.s(), svd.vt().toRowMajor(), energy, method);
      }
      // svd.vt() is k x n column-major = U (n x k) row-major; svd.u() is m x k = Vt (k x m).
      return new TruncatedSvd(
          svd.vt().transposeToRowMajor(), svd.s(), svd.u().transposeToRowMajor(), energy, method);
    }
  }

  /**
   * Returns all singular values of {@code w}, descending, without computing singular vectors.
   *
   * @param w the matrix, non-empty and finite
   * @return the {@code min(n, m)} singular values
   */
  public static float[] singularValues(FloatMatrix w) {
    Inputs.checkedEnergy(w, RankTarget.leading(1));
    boolean tall = w.rows() > w.cols();
    return BlasCoordinator.call(
        () -> {
          try (NativeMatrix a = tall ? NativeMatrix.of(w) : NativeMatrix.transposeOf(w)) {
            return a.singularValuesDestroying();
          }
        });
  }
}
