package dev.lowrank.linalg;

/**
 * The leading {@code k} singular triplets of a matrix {@code W} (n x m): {@code U} (n x k), {@code
 * s} (k values, descending) and {@code Vt} (k x m), with {@code W ~ U diag(s) Vt}.
 *
 * <p>{@code k} is at least what the {@link RankTarget} asked for; an exact backend returns all
 * {@code min(n, m)} triplets. {@code frobeniusNormSquared} is {@code ||W||_F^2} of the input, so
 * the energy outside the returned triplets is known even when {@code k < min(n, m)}.
 *
 * @param u left singular vectors, n x k, orthonormal columns
 * @param s singular values, descending, non-negative
 * @param vt right singular vectors, k x m, orthonormal rows
 * @param frobeniusNormSquared {@code ||W||_F^2} of the factorized matrix
 * @param algorithm the algorithm that produced it
 */
public record TruncatedSvd(
    FloatMatrix u, float[] s, FloatMatrix vt, double frobeniusNormSquared, SvdAlgorithm algorithm) {

  /** Checks that the parts fit together. */
  public TruncatedSvd {
    int k = s.length;
    if (u.cols() != k || vt.rows() != k) {
      throw new IllegalArgumentException(
          "U is " + u.shape() + ", Vt is " + vt.shape() + " but there are " + k + " values");
    }
  }

  /**
   * Returns the label of the algorithm that produced it, as reports show it.
   *
   * @return e.g. {@code exact} or {@code randomized}
   */
  public String method() {
    return algorithm.label();
  }

  /**
   * Returns the number of triplets held.
   *
   * @return {@code k}
   */
  public int size() {
    return s.length;
  }

  /**
   * Returns {@code sum_{i<r} s_i^2}, the energy of the leading {@code r} triplets.
   *
   * @param r number of leading triplets, at most {@link #size()}
   * @return their energy
   */
  public double energy(int r) {
    double sum = 0;
    for (int i = 0; i < r; i++) {
      sum += (double) s[i] * s[i];
    }
    return sum;
  }

  /**
   * Returns the smallest rank whose leading triplets capture {@code fraction} of {@code ||W||_F^2},
   * or {@link #size()} if the held triplets do not reach it.
   *
   * @param fraction share in (0, 1]
   * @return the rank
   */
  public int rankForEnergy(double fraction) {
    return rankForEnergy(s, frobeniusNormSquared, fraction);
  }

  /**
   * Returns the smallest rank whose leading singular values capture {@code fraction} of {@code
   * frobeniusNormSquared}, or {@code s.length} if they do not reach it.
   *
   * @param s singular values, descending
   * @param frobeniusNormSquared {@code ||W||_F^2}
   * @param fraction share in (0, 1]
   * @return the rank
   */
  public static int rankForEnergy(float[] s, double frobeniusNormSquared, double fraction) {
    double goal = fraction * frobeniusNormSquared;
    double sum = 0;
    for (int i = 0; i < s.length; i++) {
      sum += (double) s[i] * s[i];
      // A relative slack of 1e-9 keeps fraction 1.0 reachable despite float rounding.
      if (sum >= goal * (1 - 1e-9)) {
        return i + 1;
      }
    }
    return s.length;
  }
}
