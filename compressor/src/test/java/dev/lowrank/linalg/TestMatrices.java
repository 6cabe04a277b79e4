package dev.lowrank.linalg;

import dev.lowrank.linalg.internal.Blas;
import dev.lowrank.linalg.internal.BlasCoordinator;
import java.util.SplittableRandom;
import org.bytedeco.openblas.global.openblas;

/**
 * Seeded matrices for tests and benchmarks: Gaussian ones, ones of exact rank k, and "trained-like"
 * ones {@code W = U diag(s) V^T} with random orthonormal {@code U}, {@code V} and a power-law
 * spectrum {@code s_i = 10 i^-0.7}, as PyTorch's reference script builds them. Shared with other
 * modules through the compressor's test-jar.
 */
public final class TestMatrices {

  /** The exponent of the trained-like spectrum {@code s_i = 10 i^-alpha}. */
  public static final double TRAINED_LIKE_DECAY = 0.7;

  private TestMatrices() {}

  /**
   * Returns an {@code n x m} matrix of independent standard normal values.
   *
   * @param n rows
   * @param m columns
   * @param seed the generator seed
   * @return the matrix
   */
  public static FloatMatrix gaussian(int n, int m, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] data = new float[Math.multiplyExact(n, m)];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) random.nextGaussian();
    }
    return FloatMatrix.wrap(n, m, data);
  }

  /**
   * Returns the power-law spectrum {@code s_i = 10 (i + 1)^-alpha}, i from 0.
   *
   * @param k number of values
   * @param alpha the decay exponent
   * @return the values, descending
   */
  public static float[] powerLawSpectrum(int k, double alpha) {
    float[] s = new float[k];
    for (int i = 0; i < k; i++) {
      s[i] = (float) (10.0 * Math.pow(i + 1, -alpha));
    }
    return s;
  }

  /**
   * Returns {@code W = U diag(s) V^T} with random orthonormal {@code U} (n x k) and {@code V} (m x
   * k), {@code k = s.length <= min(n, m)}; its singular values are {@code s} (sorted descending).
   *
   * @param n rows
   * @param m columns
   * @param s the singular values; zeros make the matrix rank-deficient
   * @param seed the generator seed
   * @return the matrix
   */
  public static FloatMatrix withSpectrum(int n, int m, float[] s, long seed) {
    int k = s.length;
    if (k > Math.min(n, m)) {
      throw new IllegalArgumentException(k + " values do not fit a " + n + "x" + m + " matrix");
    }
    SplittableRandom random = new SplittableRandom(seed);
    FloatMatrix u = orthonormalColumns(n, k, random);
    FloatMatrix v = orthonormalColumns(m, k, random);
    float[] us = u.data().clone();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < k; j++) {
        us[i * k + j] *= s[j];
      }
    }
    return Blas.gemm(1f, FloatMatrix.wrap(n, k, us), false, v, true, 0f, null);
  }

  /**
   * Returns a trained-like matrix: {@link #withSpectrum} with {@code s_i = 10 i^-0.7}, {@code k =
   * min(n, m)}.
   *
   * @param n rows
   * @param m columns
   * @param seed the generator seed
   * @return the matrix
   */
  public static FloatMatrix trainedLike(int n, int m, long seed) {
    return withSpectrum(n, m, powerLawSpectrum(Math.min(n, m), TRAINED_LIKE_DECAY), seed);
  }

  /**
   * Returns a matrix of exact rank {@code k}: a product of Gaussian n x k and k x m factors.
   *
   * @param n rows
   * @param m columns
   * @param k the rank, at most {@code min(n, m)}
   * @param seed the generator seed
   * @return the matrix
   */
  public static FloatMatrix ofRank(int n, int m, int k, long seed) {
    return Blas.gemm(1f, gaussian(n, k, seed), false, gaussian(k, m, seed + 1), false, 0f, null);
  }

  /**
   * Returns the Eckart-Young optimum {@code sqrt(sum_{i >= r} s_i^2)} for the given spectrum.
   *
   * @param s all singular values, descending
   * @param r the rank
   * @return the smallest possible rank-r Frobenius error
   */
  public static double optimalError(float[] s, int r) {
    double tail = 0;
    for (int i = r; i < s.length; i++) {
      tail += (double) s[i] * s[i];
    }
    return Math.sqrt(tail);
  }

  private static FloatMatrix orthonormalColumns(int rows, int k, SplittableRandom random) {
    float[] a = new float[Math.multiplyExact(rows, k)];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) random.nextGaussian();
    }
    if (k == 0) {
      return FloatMatrix.wrap(rows, 0, a);
    }
    float[] tau = new float[k];
    // One coordinated BLAS call, so that the values do not depend on what else runs in the JVM.
    int info =
        BlasCoordinator.call(
            () -> {
              int result = openblas.LAPACKE_sgeqrf(openblas.LAPACK_ROW_MAJOR, rows, k, a, k, tau);
              return result != 0
                  ? result
                  : openblas.LAPACKE_sorgqr(openblas.LAPACK_ROW_MAJOR, rows, k, k, a, k, tau);
            });
    if (info != 0) {
      throw new IllegalStateException("QR of a Gaussian matrix failed, info " + info);
    }
    return FloatMatrix.wrap(rows, k, a);
  }
}
