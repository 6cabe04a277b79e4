package dev.lowrank.linalg;

import dev.lowrank.linalg.internal.Blas;

/**
 * The two factors that replace a layer's weight: {@code W ~ B A}, so {@code y = B (A x) + b}.
 *
 * @param a the first factor, r x m ({@code V_r^T}); applied to the input first
 * @param b the second factor, n x r ({@code U_r S_r})
 */
public record LowRankFactors(FloatMatrix a, FloatMatrix b) {

  /** Checks that the factors chain. */
  public LowRankFactors {
    if (a.rows() != b.cols()) {
      throw new IllegalArgumentException(
          "A is " + a.shape() + " and B is " + b.shape() + ": their rank does not match");
    }
  }

  /**
   * Builds the rank-{@code r} factors of a truncated SVD: {@code B = U_r S_r}, {@code A = V_r^T}.
   *
   * @param svd the decomposition, holding at least {@code r} triplets
   * @param r the rank, in {@code [1, svd.size()]}
   * @return the factors
   */
  public static LowRankFactors truncate(TruncatedSvd svd, int r) {
    if (r < 1 || r > svd.size()) {
      throw new IllegalArgumentException(
          "rank " + r + " is outside [1, " + svd.size() + "] of the decomposition");
    }
    FloatMatrix u = svd.u();
    FloatMatrix vt = svd.vt();
    int n = u.rows();
    int m = vt.cols();
    float[] b = new float[Math.multiplyExact(n, r)];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < r; j++) {
        b[i * r + j] = u.get(i, j) * svd.s()[j];
      }
    }
    float[] a = new float[Math.multiplyExact(r, m)];
    System.arraycopy(vt.data(), 0, a, 0, a.length);
    return new LowRankFactors(FloatMatrix.wrap(r, m, a), FloatMatrix.wrap(n, r, b));
  }

  /**
   * Returns the rank {@code r}.
   *
   * @return the inner dimension of the product
   */
  public int rank() {
    return a.rows();
  }

  /**
   * Returns the number of weights the factors hold, {@code r (n + m)}.
   *
   * @return the parameter count without bias
   */
  public long parameters() {
    return (long) a.rows() * a.cols() + (long) b.rows() * b.cols();
  }

  /**
   * Returns the dense product {@code B A} (n x m).
   *
   * @return a new matrix
   */
  public FloatMatrix product() {
    return Blas.gemm(1f, b, false, a, false, 0f, null);
  }

  /**
   * Returns {@code ||W - B A||_F}, computed with one BLAS product.
   *
   * @param w the matrix the factors approximate, n x m
   * @return the Frobenius norm of the residual
   */
  public double residualNorm(FloatMatrix w) {
    FloatMatrix residual = FloatMatrix.wrap(w.rows(), w.cols(), w.data().clone());
    Blas.gemm(-1f, b, false, a, false, 1f, residual);
    return Math.sqrt(residual.frobeniusNormSquared());
  }
}
