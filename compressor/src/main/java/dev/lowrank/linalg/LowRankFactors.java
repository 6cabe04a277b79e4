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
   * Builds rank-{@code r} factors that keep the leading left singular vectors of a scaled matrix:
   * given the SVD {@code W D = U S V^T} of {@code W} times any scaling {@code D} (m x k: a
   * whitening factor {@code C} with {@code C C^T = G}, or {@code diag(s^alpha)}), {@code B = U_r
   * S_r} and {@code A = S_r^{-1} U_r^T W}, so {@code B A = U_r U_r^T W}. This is {@code A = V_r^T
   * D^{-1}} when {@code D} is invertible, without inverting it, and stays exact when {@code D} is
   * singular: {@code (W - B A) D} is then the rank-{@code r} truncation error of {@code W D}.
   * Singular values of zero (a scaled matrix of rank below {@code r}) get {@code B = u_i}, {@code A
   * = u_i^T W}.
   *
   * @param scaled the truncated SVD of {@code W D}, holding at least {@code r} triplets
   * @param w the weight {@code W} (n x m)
   * @param r the rank, in {@code [1, scaled.size()]}
   * @return the factors
   */
  public static LowRankFactors projected(TruncatedSvd scaled, FloatMatrix w, int r) {
    if (r < 1 || r > scaled.size()) {
      throw new IllegalArgumentException(
          "rank " + r + " is outside [1, " + scaled.size() + "] of the decomposition");
    }
    FloatMatrix u = scaled.u();
    int n = u.rows();
    if (n != w.rows()) {
      throw new IllegalArgumentException(
          "U has " + n + " rows but W is " + w.shape() + "; decompose W D, not another matrix");
    }
    float[] ur = new float[Math.multiplyExact(n, r)];
    for (int i = 0; i < n; i++) {
      System.arraycopy(u.data(), i * u.cols(), ur, i * r, r);
    }
    FloatMatrix uR = FloatMatrix.wrap(n, r, ur);
    FloatMatrix a = Blas.gemm(1f, uR, true, w, false, 0f, null);
    float[] s = scaled.s();
    float floor = s[0] * 1e-30f;
    float[] b = ur.clone();
    for (int j = 0; j < r; j++) {
      float sj = s[j] > floor && s[j] > 0 ? s[j] : 1f;
      for (int i = 0; i < n; i++) {
        b[i * r + j] *= sj;
      }
      float inv = 1f / sj;
      int base = j * a.cols();
      for (int c = 0; c < a.cols(); c++) {
        a.data()[base + c] *= inv;
      }
    }
    return new LowRankFactors(a, FloatMatrix.wrap(n, r, b));
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
