package dev.lowrank.linalg.internal;

import dev.lowrank.linalg.FloatMatrix;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;

/** Row-major float32 BLAS calls through the OpenBLAS that ND4J ships, on {@link FloatMatrix}. */
public final class Blas {

  private Blas() {}

  /**
   * Computes {@code C = alpha * op(A) * op(B) + beta * C} and returns {@code C}.
   *
   * @param alpha scale of the product
   * @param a left matrix
   * @param transA whether to use {@code A^T}
   * @param b right matrix
   * @param transB whether to use {@code B^T}
   * @param beta scale of {@code c}; {@code c} may be null when beta is 0
   * @param c the accumulator, overwritten, or null to allocate one
   * @return the result matrix
   */
  public static FloatMatrix gemm(
      float alpha,
      FloatMatrix a,
      boolean transA,
      FloatMatrix b,
      boolean transB,
      float beta,
      FloatMatrix c) {
    int m = transA ? a.cols() : a.rows();
    int k = transA ? a.rows() : a.cols();
    int kb = transB ? b.cols() : b.rows();
    int n = transB ? b.rows() : b.cols();
    if (k != kb) {
      throw new IllegalArgumentException(
          "Inner dimensions differ: "
              + a.shape()
              + (transA ? "^T" : "")
              + " times "
              + b.shape()
              + (transB ? "^T" : ""));
    }
    FloatMatrix out = c == null ? FloatMatrix.zeros(m, n) : c;
    if (out.rows() != m || out.cols() != n) {
      throw new IllegalArgumentException("C is " + out.shape() + ", expected " + m + "x" + n);
    }
    if (m == 0 || n == 0) {
      return out;
    }
    BlasCoordinator.run(() -> multiply(alpha, a, transA, b, transB, beta, c, out, m, n, k));
    return out;
  }

  private static void multiply(
      float alpha,
      FloatMatrix a,
      boolean transA,
      FloatMatrix b,
      boolean transB,
      float beta,
      FloatMatrix c,
      FloatMatrix out,
      int m,
      int n,
      int k) {
    try (FloatPointer pa = new FloatPointer(a.data());
        FloatPointer pb = new FloatPointer(b.data());
        FloatPointer pc = new FloatPointer(out.data())) {
      openblas.cblas_sgemm(
          openblas.CblasRowMajor,
          transA ? openblas.CblasTrans : openblas.CblasNoTrans,
          transB ? openblas.CblasTrans : openblas.CblasNoTrans,
          m,
          n,
          k,
          alpha,
          pa,
          Math.max(1, a.cols()),
          pb,
          Math.max(1, b.cols()),
          c == null ? 0f : beta,
          pc,
          Math.max(1, n));
      pc.get(out.data());
    }
  }
}
