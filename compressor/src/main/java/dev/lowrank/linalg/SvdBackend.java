package dev.lowrank.linalg;

/**
 * Computes a truncated singular value decomposition of a float32 matrix.
 *
 * <p>Implementations are thread-safe: the compressor factorizes several layers at once. Obtain one
 * from {@link SvdBackends}; callers never name an implementation class.
 */
public interface SvdBackend {

  /**
   * Returns the name the CLI and reports use: {@code exact}, {@code randomized} or {@code auto}.
   *
   * @return the backend name
   */
  String name();

  /**
   * Factorizes {@code w}, returning at least the triplets {@code target} asks for.
   *
   * @param w the matrix, n x m, finite values
   * @param target how many leading triplets are needed
   * @return the truncated SVD; its {@link TruncatedSvd#method()} names the algorithm used
   * @throws IllegalArgumentException if {@code w} is empty or holds NaN or infinite values, or a
   *     {@link RankTarget.Leading} rank exceeds {@code min(n, m)}
   * @throws ArithmeticException if the underlying LAPACK routine reports that it did not converge
   */
  TruncatedSvd decompose(FloatMatrix w, RankTarget target);
}
