package dev.lowrank.linalg.internal;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.openblas.global.openblas;

/**
 * The BLAS and LAPACK calls behind data-aware truncation: Gram matrices of float32 activations
 * accumulated in float64, Cholesky factors (plain and pivoted) in float64, and triangular products
 * and solves in float32, all column-major through the OpenBLAS that ND4J ships.
 *
 * <p>Every method copies its Java arrays into native memory, calls one routine, and copies the
 * result back; native memory is freed before it returns. Factorizations run on a large-stack thread
 * ({@link LargeStack}): OpenBLAS's parallel LAPACK keeps per-thread job arrays on the stack.
 */
public final class DoubleKernels {

  private DoubleKernels() {}

  /** Reusable native buffers of the calling thread for {@link #addGram}. */
  private static final ThreadLocal<GramScratch> SCRATCH = ThreadLocal.withInitial(GramScratch::new);

  /** The float64 buffers one thread's Gram products reuse, grown as needed. */
  private static final class GramScratch {
    private DoublePointer rows = new DoublePointer(1);
    private long rowsCapacity = 1;
    private DoublePointer product = new DoublePointer(1);
    private long productCapacity = 1;
    private double[] values = new double[0];
    private double[] copy = new double[0];

    DoublePointer rows(long size) {
      if (size > rowsCapacity) {
        rows.close();
        rows = new DoublePointer(size);
        rowsCapacity = size;
      }
      return rows;
    }

    DoublePointer product(long size) {
      if (size > productCapacity) {
        product.close();
        product = new DoublePointer(size);
        productCapacity = size;
      }
      return product;
    }

    double[] values(int size) {
      if (values.length < size) {
        values = new double[size];
      }
      return values;
    }

    double[] copy(int size) {
      if (copy.length < size) {
        copy = new double[size];
      }
      return copy;
    }
  }

  /**
   * Adds {@code X^T X} of {@code count} rows of {@code m} float32 values to the upper triangle of a
   * float64 Gram matrix held packed by columns ({@code packed[j (j + 1) / 2 + i]} is entry {@code
   * (i, j)}, {@code i <= j}). Products and sums are float64 ({@code dsyrk}).
   *
   * @param rows row-major values, at least {@code (start + count) * m}
   * @param start the first row
   * @param count how many rows
   * @param m the row length
   * @param packed {@code m (m + 1) / 2} values, accumulated into
   */
  public static void addGram(float[] rows, int start, int count, int m, double[] packed) {
    if (count == 0 || m == 0) {
      return;
    }
    GramScratch s = SCRATCH.get();
    int size = Math.multiplyExact(count, m);
    double[] x = s.values(size);
    int from = start * m;
    for (int i = 0; i < size; i++) {
      x[i] = rows[from + i];
    }
    DoublePointer a = s.rows(size);
    a.position(0).put(x, 0, size);
    int mm = Math.multiplyExact(m, m);
    DoublePointer c = s.product(mm);
    // Row-major X (count x m) is column-major X^T (m x count): C = X^T (X^T)^T, upper triangle.
    openblas.cblas_dsyrk(
        openblas.CblasColMajor,
        openblas.CblasUpper,
        openblas.CblasNoTrans,
        m,
        count,
        1.0,
        a,
        m,
        0.0,
        c,
        m);
    double[] out = s.copy(mm);
    c.position(0).get(out, 0, mm);
    for (int j = 0; j < m; j++) {
      int base = j * (j + 1) / 2;
      int col = j * m;
      for (int i = 0; i <= j; i++) {
        packed[base + i] += out[col + i];
      }
    }
  }

  /**
   * Adds {@code X^T Y} of {@code count} paired rows to a float64 {@code m x m} matrix, column-major
   * (entry {@code (i, j)} at {@code i + j m}): row {@code i} of the result pairs column {@code i}
   * of {@code X} with column {@code j} of {@code Y}.
   *
   * @param x row-major {@code count x m}
   * @param y row-major {@code count x m}
   * @param count the rows
   * @param m the row length
   * @param target {@code m * m} values, accumulated into
   */
  public static void addCross(float[] x, float[] y, int count, int m, double[] target) {
    if (count == 0 || m == 0) {
      return;
    }
    try (FloatPointer px = new FloatPointer(x);
        FloatPointer py = new FloatPointer(y);
        FloatPointer c = new FloatPointer((long) m * m)) {
      // Column-major X^T (m x count) times (Y^T)^T (count x m).
      openblas.cblas_sgemm(
          openblas.CblasColMajor,
          openblas.CblasNoTrans,
          openblas.CblasTrans,
          m,
          m,
          count,
          1f,
          px,
          m,
          py,
          m,
          0f,
          c,
          m);
      float[] out = new float[m * m];
      c.get(out);
      for (int i = 0; i < out.length; i++) {
        target[i] += out[i];
      }
    }
  }

  /** The block size of {@link #cholesky}. */
  private static final int BLOCK = 256;

  /**
   * Factorizes a symmetric matrix as {@code L L^T} (lower), blocked: each diagonal block in Java,
   * each panel by a product with the inverse of its diagonal block ({@code dgemm}), the trailing
   * matrix by {@code dsyrk}. LAPACK's {@code dpotrf} is not used: with the OpenBLAS build ND4J
   * ships (0.3.19), its float64 triangular kernels ({@code dtrsm}, {@code dtrmm}, and so {@code
   * dpotrf} past 32 x 32) return wrong results on AVX-512 processors, while {@code dgemm} and
   * {@code dsyrk} are right ({@code DoubleKernelsTest} checks all of them).
   *
   * @param a column-major {@code m x m}, overwritten by {@code L} in its lower triangle (the strict
   *     upper triangle is set to zero)
   * @param m the order
   * @return {@code true} when the matrix is positive definite, {@code false} when the factorization
   *     broke down (then {@code a} is garbage)
   */
  public static boolean cholesky(double[] a, int m) {
    if (m == 0) {
      return true;
    }
    boolean ok;
    try (DoublePointer p = new DoublePointer(a)) {
      ok = blockedCholesky(p, m);
      if (ok) {
        p.get(a);
      }
    }
    if (ok) {
      zeroUpper(a, m);
    }
    return ok;
  }

  private static boolean blockedCholesky(DoublePointer a, int m) {
    for (int k = 0; k < m; k += BLOCK) {
      int b = Math.min(BLOCK, m - k);
      double[] d = new double[b * b];
      for (int j = 0; j < b; j++) {
        view(a, k + (long) (k + j) * m).get(d, j * b, b);
      }
      if (!unblockedCholesky(d, b)) {
        return false;
      }
      for (int j = 0; j < b; j++) {
        view(a, k + (long) (k + j) * m).put(d, j * b, b);
      }
      int rows = m - k - b;
      if (rows == 0) {
        continue;
      }
      double[] inv = invertLower(d, b);
      try (DoublePointer pi = new DoublePointer(inv);
          DoublePointer tmp = new DoublePointer((long) rows * b)) {
        DoublePointer panel = view(a, k + b + (long) k * m);
        // P := P L11^{-T}
        openblas.cblas_dgemm(
            openblas.CblasColMajor,
            openblas.CblasNoTrans,
            openblas.CblasTrans,
            rows,
            b,
            b,
            1.0,
            panel,
            m,
            pi,
            b,
            0.0,
            tmp,
            rows);
        double[] col = new double[rows];
        for (int j = 0; j < b; j++) {
          view(tmp, (long) j * rows).get(col, 0, rows);
          view(a, k + b + (long) (k + j) * m).put(col, 0, rows);
        }
        // A22 := A22 - P P^T (lower triangle)
        openblas.cblas_dsyrk(
            openblas.CblasColMajor,
            openblas.CblasLower,
            openblas.CblasNoTrans,
            rows,
            b,
            -1.0,
            view(a, k + b + (long) k * m),
            m,
            1.0,
            view(a, k + b + (long) (k + b) * m),
            m);
      }
    }
    return true;
  }

  private static DoublePointer view(DoublePointer base, long offset) {
    DoublePointer v = new DoublePointer(base);
    v.position(base.position() + offset);
    return v;
  }

  /** Cholesky of a small column-major block in place (lower); false if not positive definite. */
  private static boolean unblockedCholesky(double[] d, int b) {
    for (int j = 0; j < b; j++) {
      double s = d[j + j * b];
      for (int k = 0; k < j; k++) {
        double v = d[j + k * b];
        s -= v * v;
      }
      if (!(s > 0) || !Double.isFinite(s)) {
        return false;
      }
      double pivot = Math.sqrt(s);
      d[j + j * b] = pivot;
      for (int i = j + 1; i < b; i++) {
        double t = d[i + j * b];
        for (int k = 0; k < j; k++) {
          t -= d[i + k * b] * d[j + k * b];
        }
        d[i + j * b] = t / pivot;
      }
    }
    return true;
  }

  /** The inverse of a lower-triangular column-major block (its upper triangle ignored). */
  private static double[] invertLower(double[] l, int b) {
    double[] x = new double[b * b];
    for (int c = 0; c < b; c++) {
      // Solve L x = e_c by forward substitution.
      x[c + c * b] = 1.0 / l[c + c * b];
      for (int i = c + 1; i < b; i++) {
        double t = 0;
        for (int k = c; k < i; k++) {
          t -= l[i + k * b] * x[k + c * b];
        }
        x[i + c * b] = t / l[i + i * b];
      }
    }
    return x;
  }

  /**
   * Factorizes a positive semidefinite matrix with complete pivoting as {@code P^T A P = L L^T}
   * ({@code dpstrf}, lower), stopping at the numerical rank.
   *
   * @param a column-major {@code m x m}, overwritten by {@code L} (columns past the rank and the
   *     strict upper triangle set to zero)
   * @param m the order
   * @param tolerance pivots at most this are treated as zero
   * @param pivots receives the 0-based permutation: column {@code k} of {@code A P} is column
   *     {@code pivots[k]} of {@code A}
   * @return the numerical rank
   */
  public static int pivotedCholesky(double[] a, int m, double tolerance, int[] pivots) {
    return LargeStack.call(
        () -> {
          int rank;
          try (DoublePointer p = new DoublePointer(a);
              IntPointer piv = new IntPointer(m);
              IntPointer r = new IntPointer(1)) {
            int info =
                openblas.LAPACKE_dpstrf(
                    openblas.LAPACK_COL_MAJOR, (byte) 'L', m, p, m, piv, r, tolerance);
            check(Math.min(info, 0), "dpstrf");
            p.get(a);
            rank = r.get(0);
            for (int k = 0; k < m; k++) {
              pivots[k] = piv.get(k) - 1;
            }
          }
          zeroUpper(a, m);
          for (int j = rank; j < m; j++) {
            java.util.Arrays.fill(a, j * m, (j + 1) * m, 0);
          }
          return rank;
        });
  }

  /**
   * Computes {@code B := op(L) B} in float32 with {@code L} lower triangular ({@code strmm}, from
   * the left).
   *
   * @param l column-major {@code m x m}
   * @param transpose whether to apply {@code L^T}
   * @param b column-major {@code m x cols}, overwritten
   * @param m the order of {@code L}
   * @param cols the columns of {@code B}
   */
  public static void triangularProduct(float[] l, boolean transpose, float[] b, int m, int cols) {
    if (m == 0 || cols == 0) {
      return;
    }
    try (FloatPointer pl = new FloatPointer(l);
        FloatPointer pb = new FloatPointer(b)) {
      openblas.cblas_strmm(
          openblas.CblasColMajor,
          openblas.CblasLeft,
          openblas.CblasLower,
          transpose ? openblas.CblasTrans : openblas.CblasNoTrans,
          openblas.CblasNonUnit,
          m,
          cols,
          1f,
          pl,
          m,
          pb,
          m);
      pb.get(b);
    }
  }

  /**
   * Solves {@code op(L) X = B} in place in float32 ({@code strsm}, from the left), {@code L} lower
   * triangular.
   *
   * @param l column-major {@code m x m}, invertible
   * @param transpose whether to solve with {@code L^T}
   * @param b column-major {@code m x cols}, overwritten by {@code X}
   * @param m the order of {@code L}
   * @param cols the columns of {@code B}
   */
  public static void triangularSolve(float[] l, boolean transpose, float[] b, int m, int cols) {
    if (m == 0 || cols == 0) {
      return;
    }
    try (FloatPointer pl = new FloatPointer(l);
        FloatPointer pb = new FloatPointer(b)) {
      openblas.cblas_strsm(
          openblas.CblasColMajor,
          openblas.CblasLeft,
          openblas.CblasLower,
          transpose ? openblas.CblasTrans : openblas.CblasNoTrans,
          openblas.CblasNonUnit,
          m,
          cols,
          1f,
          pl,
          m,
          pb,
          m);
      pb.get(b);
    }
  }

  /**
   * Computes {@code C = op(A) op(B)} in float64 ({@code dgemm}), column-major.
   *
   * @param a column-major, {@code rows(op(A)) x inner} after the operation
   * @param lda its leading dimension
   * @param transA whether to use {@code A^T}
   * @param b column-major, {@code inner x cols(op(B))} after the operation
   * @param ldb its leading dimension
   * @param transB whether to use {@code B^T}
   * @param rows rows of {@code C}
   * @param cols columns of {@code C}
   * @param inner the shared dimension
   * @return {@code C}, column-major {@code rows x cols}
   */
  public static double[] product(
      double[] a,
      int lda,
      boolean transA,
      double[] b,
      int ldb,
      boolean transB,
      int rows,
      int cols,
      int inner) {
    double[] c = new double[Math.multiplyExact(rows, cols)];
    if (rows == 0 || cols == 0) {
      return c;
    }
    try (DoublePointer pa = new DoublePointer(a);
        DoublePointer pb = new DoublePointer(b);
        DoublePointer pc = new DoublePointer(Math.max(1L, c.length))) {
      openblas.cblas_dgemm(
          openblas.CblasColMajor,
          transA ? openblas.CblasTrans : openblas.CblasNoTrans,
          transB ? openblas.CblasTrans : openblas.CblasNoTrans,
          rows,
          cols,
          inner,
          1.0,
          pa,
          Math.max(1, lda),
          pb,
          Math.max(1, ldb),
          0.0,
          pc,
          Math.max(1, rows));
      pc.get(c);
    }
    return c;
  }

  private static void zeroUpper(double[] a, int m) {
    for (int j = 1; j < m; j++) {
      java.util.Arrays.fill(a, j * m, j * m + j, 0);
    }
  }

  private static void check(int info, String routine) {
    if (info != 0) {
      throw new IllegalStateException(
          "LAPACK " + routine + " rejected argument " + (-info) + "; this is a bug in lowrank");
    }
  }
}
