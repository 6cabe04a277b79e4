package dev.lowrank.linalg;

import dev.lowrank.linalg.internal.Blas;
import dev.lowrank.linalg.internal.DoubleKernels;
import java.util.Locale;

/**
 * A factor {@code C} (m x k) of a layer's input Gram matrix, {@code C C^T = G}, that turns the
 * data-weighted error of a truncation into a plain one: for any {@code M}, {@code ||(W - M) X||_F =
 * ||(W - M) C||_F}. The best rank-{@code r} {@code M} keeps the leading {@code r} left singular
 * vectors {@code U_r} of {@code W C} ({@code M = U_r U_r^T W}, see {@link
 * LowRankFactors#projected}), and its error is {@code sqrt(sum_{i>r} s_i(W C)^2)} (SVD-LLM,
 * truncation-aware whitening).
 *
 * <p>{@link #of} computes a Cholesky factor ({@code dpotrf}, float64) when {@code G} is positive
 * definite, else the complete-pivoting Cholesky factor of the semidefinite {@code G} ({@code
 * dpstrf}), {@code C = P L_k} with {@code k} the numerical rank: dead inputs and fewer positions
 * than inputs make {@code G} singular, and that factor is still exact ({@code C C^T = G} to
 * rounding), with no regularization. {@link #ridged} adds {@code delta I} first, for the solves a
 * regression needs. Immutable (a float32 copy of {@code C} is made on first use) and safe to share
 * between threads.
 */
public final class Whitening {

  /** How {@code C} was computed. */
  public enum Kind {
    /** {@code G = L L^T}, {@code C = L}. */
    CHOLESKY,
    /** {@code P^T G P = L L^T} to the numerical rank {@code k}, {@code C = P L_k}. */
    PIVOTED_CHOLESKY,
    /** {@code G + delta I = L L^T}. */
    RIDGED_CHOLESKY
  }

  /**
   * Pivots below this share of the largest diagonal entry count as zero in the pivoted factor:
   * float64 rounding of the Gram matrix leaves noise far below it in the directions the data does
   * not span, and directions of less input energy than this change the data error by at most about
   * {@code sqrt(1e-11)}, relatively.
   */
  static final double PIVOT_TOLERANCE = 1e-11;

  private final int size;
  private final int rank;
  private final double[] lower;
  private final int[] pivots;
  private final Kind kind;
  private final double ridge;
  private volatile float[] lowerFloat;

  private Whitening(int size, int rank, double[] lower, int[] pivots, Kind kind, double ridge) {
    this.size = size;
    this.rank = rank;
    this.lower = lower;
    this.pivots = pivots;
    this.kind = kind;
    this.ridge = ridge;
  }

  /**
   * Factors a Gram matrix exactly: Cholesky when it is positive definite, pivoted Cholesky to its
   * numerical rank when it is only semidefinite.
   *
   * @param g the Gram matrix, finite
   * @return the factor
   * @throws IllegalArgumentException if {@code g} holds NaN or infinite values or is zero
   */
  public static Whitening of(SymmetricMatrix g) {
    check(g);
    int m = g.size();
    double[] l = g.data().clone();
    if (DoubleKernels.cholesky(l, m)) {
      return new Whitening(m, m, l, null, Kind.CHOLESKY, 0);
    }
    l = g.data().clone();
    double largest = 0;
    for (int i = 0; i < m; i++) {
      largest = Math.max(largest, g.get(i, i));
    }
    int[] piv = new int[m];
    int k = DoubleKernels.pivotedCholesky(l, m, PIVOT_TOLERANCE * largest, piv);
    if (k < 1) {
      throw new IllegalArgumentException("The Gram matrix has no positive pivot");
    }
    return new Whitening(m, k, l, piv, Kind.PIVOTED_CHOLESKY, 0);
  }

  /**
   * Factors {@code G + delta I} with {@code delta = relativeRidge * trace(G) / m}, which is
   * positive definite for a semidefinite {@code G}: an invertible {@code C} for the solves of a
   * regression ({@link #solveRight}, {@link #solveRightTransposed}).
   *
   * @param g the Gram matrix, finite and not zero
   * @param relativeRidge the shift as a share of the mean diagonal entry, {@code > 0}
   * @return the factor
   * @throws IllegalArgumentException if {@code g} is not finite or zero, or the ridge is not
   *     positive
   */
  public static Whitening ridged(SymmetricMatrix g, double relativeRidge) {
    check(g);
    if (!(relativeRidge > 0)) {
      throw new IllegalArgumentException("The ridge must be positive, got " + relativeRidge);
    }
    int m = g.size();
    double delta = relativeRidge * g.trace() / m;
    for (int attempt = 0; attempt < 8; attempt++) {
      double[] l = g.plusDiagonal(delta).data();
      if (DoubleKernels.cholesky(l, m)) {
        return new Whitening(m, m, l, null, Kind.RIDGED_CHOLESKY, delta);
      }
      // Float32 rounding can leave G slightly indefinite; a larger shift always succeeds.
      delta *= 100;
    }
    throw new ArithmeticException("G + delta I is not positive definite for any delta tried");
  }

  private static void check(SymmetricMatrix g) {
    if (!g.isFinite()) {
      throw new IllegalArgumentException("The Gram matrix holds NaN or infinite values");
    }
    if (g.size() == 0 || !(g.trace() > 0)) {
      throw new IllegalArgumentException("The Gram matrix is zero: the inputs were all zero");
    }
  }

  /**
   * Returns the order of {@code G}.
   *
   * @return {@code m}
   */
  public int size() {
    return size;
  }

  /**
   * Returns the number of columns of {@code C}.
   *
   * @return {@code k}: {@code m}, or the numerical rank of a singular {@code G}
   */
  public int rank() {
    return rank;
  }

  /**
   * Returns how {@code C} was computed.
   *
   * @return the kind
   */
  public Kind kind() {
    return kind;
  }

  /**
   * Returns the diagonal shift of a {@link #ridged} factor.
   *
   * @return {@code delta}, 0 for an exact factor
   */
  public double ridge() {
    return ridge;
  }

  /**
   * Returns a short description, e.g. {@code "cholesky"} or {@code "pivoted-cholesky (rank
   * 52/64)"}.
   *
   * @return the description reports use
   */
  public String describe() {
    return switch (kind) {
      case CHOLESKY -> "cholesky";
      case PIVOTED_CHOLESKY -> "pivoted-cholesky (rank " + rank + "/" + size + ")";
      case RIDGED_CHOLESKY -> String.format(Locale.ROOT, "cholesky (ridge %.3g)", ridge);
    };
  }

  /**
   * Returns {@code W C} (float32 products of W with C rounded to float32).
   *
   * @param w a matrix with {@code m} columns (n x m)
   * @return {@code W C}, n x k
   */
  public FloatMatrix apply(FloatMatrix w) {
    if (w.cols() != size) {
      throw new IllegalArgumentException("W is " + w.shape() + "; C has " + size + " rows");
    }
    int n = w.rows();
    float[] l = lowerFloat();
    if (pivots == null) {
      // Row-major W (n x m) is column-major W^T (m x n); (W C)^T = C^T W^T, column-major m x n, is
      // row-major W C.
      float[] wt = w.data().clone();
      DoubleKernels.triangularProduct(l, true, wt, size, n);
      return FloatMatrix.wrap(n, size, wt);
    }
    // W C = (W P) L_k.
    float[] wp = new float[Math.multiplyExact(n, size)];
    float[] src = w.data();
    for (int i = 0; i < n; i++) {
      int base = i * size;
      for (int c = 0; c < size; c++) {
        wp[base + c] = src[base + pivots[c]];
      }
    }
    float[] lk = new float[Math.multiplyExact(size, rank)];
    for (int r = 0; r < size; r++) {
      for (int c = 0; c < rank && c <= r; c++) {
        lk[r * rank + c] = l[r + c * size];
      }
    }
    return Blas.gemm(
        1f,
        FloatMatrix.wrap(n, size, wp),
        false,
        FloatMatrix.wrap(size, rank, lk),
        false,
        0f,
        null);
  }

  /**
   * Returns {@code M C^{-T}} for an invertible {@code C} (a {@link #ridged} or full-rank factor).
   *
   * @param m a matrix with {@code m} columns
   * @return {@code M C^{-T}}, of the same shape
   * @throws IllegalStateException if {@code C} is not square (a pivoted factor of a singular G)
   */
  public FloatMatrix solveRightTransposed(FloatMatrix m) {
    return solve(m, false);
  }

  /**
   * Returns {@code M C^{-1}} for an invertible {@code C}.
   *
   * @param m a matrix with {@code m} columns
   * @return {@code M C^{-1}}, of the same shape
   * @throws IllegalStateException if {@code C} is not square
   */
  public FloatMatrix solveRight(FloatMatrix m) {
    return solve(m, true);
  }

  private FloatMatrix solve(FloatMatrix m, boolean inverse) {
    if (pivots != null) {
      throw new IllegalStateException("A pivoted factor of a singular G cannot be inverted");
    }
    if (m.cols() != size) {
      throw new IllegalArgumentException("M is " + m.shape() + "; C has " + size + " rows");
    }
    // Row-major M (n x m) is column-major M^T. M C^{-T} = X  <=>  C X^T = M^T;
    // M C^{-1} = X  <=>  C^T X^T = M^T.
    float[] mt = m.data().clone();
    DoubleKernels.triangularSolve(lowerFloat(), inverse, mt, size, m.rows());
    return FloatMatrix.wrap(m.rows(), size, mt);
  }

  private float[] lowerFloat() {
    float[] f = lowerFloat;
    if (f == null) {
      f = new float[lower.length];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) lower[i];
      }
      lowerFloat = f;
    }
    return f;
  }
}
