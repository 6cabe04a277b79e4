package dev.lowrank.linalg.internal;

import dev.lowrank.linalg.FloatMatrix;
import java.util.Optional;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.openblas.global.openblas;

/**
 * A column-major float32 matrix in native memory, so that a chain of BLAS and LAPACK calls runs
 * without copying between the Java heap and native memory at every step.
 *
 * <p>A matrix either owns its memory (from {@link #allocate}, {@link #of} or {@link #transposeOf})
 * and frees it on {@link #close()}, or is a view ({@link #columns}, {@link #topRows}) into an
 * owner's memory and frees nothing. Instances are confined to one thread.
 */
final class NativeMatrix implements AutoCloseable {

  private final int rows;
  private final int cols;
  private final int ld;
  private final FloatPointer pointer;
  private final boolean owner;

  private NativeMatrix(int rows, int cols, int ld, FloatPointer pointer, boolean owner) {
    this.rows = rows;
    this.cols = cols;
    this.ld = ld;
    this.pointer = pointer;
    this.owner = owner;
  }

  /**
   * Allocates an uninitialized {@code rows x cols} matrix (BLAS with {@code beta = 0} and LAPACK
   * outputs never read it).
   */
  static NativeMatrix allocate(int rows, int cols) {
    long size = Math.max(1L, (long) rows * cols);
    return new NativeMatrix(rows, cols, Math.max(1, rows), new FloatPointer(size), true);
  }

  /**
   * Copies a row-major {@link FloatMatrix} {@code W} (n x m) into native memory, where the same
   * values read in column-major order are {@code W^T} (m x n). No element moves.
   */
  static NativeMatrix transposeOf(FloatMatrix w) {
    NativeMatrix a = allocate(w.cols(), w.rows());
    a.pointer.put(w.data());
    return a;
  }

  /** Copies a row-major {@link FloatMatrix} into native memory as the same matrix. */
  static NativeMatrix of(FloatMatrix w) {
    NativeMatrix a = allocate(w.rows(), w.cols());
    a.pointer.put(transpose(w.data(), w.rows(), w.cols()));
    return a;
  }

  /**
   * Returns the transpose of a row-major {@code rows x cols} array (equally: the column-major
   * layout of it), in cache-sized tiles: an element-by-element transposition of a large matrix is
   * several times slower.
   */
  static float[] transpose(float[] source, int rows, int cols) {
    float[] target = new float[source.length];
    final int tile = 32;
    for (int i0 = 0; i0 < rows; i0 += tile) {
      int i1 = Math.min(rows, i0 + tile);
      for (int j0 = 0; j0 < cols; j0 += tile) {
        int j1 = Math.min(cols, j0 + tile);
        for (int i = i0; i < i1; i++) {
          int base = i * cols;
          for (int j = j0; j < j1; j++) {
            target[j * rows + i] = source[base + j];
          }
        }
      }
    }
    return target;
  }

  /** Overwrites this matrix with independent standard normal values. */
  void fillGaussian(SplittableRandom random) {
    float[] values = new float[Math.multiplyExact(rows, cols)];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    if (ld == rows) {
      pointer.put(values);
      return;
    }
    FloatPointer column = new FloatPointer(pointer);
    for (int j = 0; j < cols; j++) {
      column.position(pointer.position() + (long) j * ld);
      column.put(values, j * rows, rows);
    }
  }

  int rows() {
    return rows;
  }

  int cols() {
    return cols;
  }

  /** Returns a view of columns {@code [from, to)}, sharing memory. */
  NativeMatrix columns(int from, int to) {
    if (from < 0 || to > cols || from > to) {
      throw new IllegalArgumentException(
          "columns [" + from + ", " + to + ") of a " + rows + "x" + cols + " matrix");
    }
    FloatPointer view = new FloatPointer(pointer);
    view.position(pointer.position() + (long) from * ld);
    return new NativeMatrix(rows, to - from, ld, view, false);
  }

  /** Returns a view of the first {@code r} rows, sharing memory. */
  NativeMatrix topRows(int r) {
    if (r < 0 || r > rows) {
      throw new IllegalArgumentException("rows [0, " + r + ") of a " + rows + "x" + cols);
    }
    return new NativeMatrix(r, cols, ld, new FloatPointer(pointer), false);
  }

  /**
   * Computes {@code c = alpha op(a) op(b) + beta c} with {@code cblas_sgemm}.
   *
   * @throws IllegalArgumentException if the shapes do not chain
   */
  static void gemm(
      float alpha,
      NativeMatrix a,
      boolean transA,
      NativeMatrix b,
      boolean transB,
      float beta,
      NativeMatrix c) {
    int m = transA ? a.cols : a.rows;
    int k = transA ? a.rows : a.cols;
    int kb = transB ? b.cols : b.rows;
    int n = transB ? b.rows : b.cols;
    if (k != kb || c.rows != m || c.cols != n) {
      throw new IllegalArgumentException(
          "gemm shapes do not chain: "
              + a.shape(transA)
              + " * "
              + b.shape(transB)
              + " -> "
              + c.shape(false));
    }
    if (m == 0 || n == 0) {
      return;
    }
    openblas.cblas_sgemm(
        openblas.CblasColMajor,
        transA ? openblas.CblasTrans : openblas.CblasNoTrans,
        transB ? openblas.CblasTrans : openblas.CblasNoTrans,
        m,
        n,
        k,
        alpha,
        a.pointer,
        a.ld,
        b.pointer,
        b.ld,
        beta,
        c.pointer,
        c.ld);
  }

  /** Returns a new matrix {@code op(a) op(b)}. */
  static NativeMatrix product(NativeMatrix a, boolean transA, NativeMatrix b, boolean transB) {
    NativeMatrix c = allocate(transA ? a.cols : a.rows, transB ? b.rows : b.cols);
    gemm(1f, a, transA, b, transB, 0f, c);
    return c;
  }

  /**
   * Replaces the columns by an orthonormal basis of their span (Householder QR: {@code sgeqrf} then
   * {@code sorgqr}). Needs {@code rows >= cols}. A rank-deficient input still yields orthonormal
   * columns.
   */
  void orthonormalize() {
    orthonormalize(false);
  }

  /**
   * Does what {@link #orthonormalize()} does and returns the triangular factor {@code R} of {@code
   * this = Q R} (cols x cols, column-major, zeros below the diagonal).
   */
  float[] orthonormalizeKeepingR() {
    return orthonormalize(true);
  }

  private float[] orthonormalize(boolean keepR) {
    if (rows < cols) {
      throw new IllegalArgumentException(
          "cannot orthonormalize " + cols + " columns of length " + rows);
    }
    float[] r = new float[keepR ? cols * cols : 0];
    if (cols == 0) {
      return r;
    }
    try (FloatPointer tau = new FloatPointer(cols)) {
      check(
          openblas.LAPACKE_sgeqrf(openblas.LAPACK_COL_MAJOR, rows, cols, pointer, ld, tau),
          "sgeqrf");
      if (keepR) {
        FloatPointer column = new FloatPointer(pointer);
        for (int j = 0; j < cols; j++) {
          column.position(pointer.position() + (long) j * ld);
          column.get(r, j * cols, j + 1);
        }
      }
      check(
          openblas.LAPACKE_sorgqr(openblas.LAPACK_COL_MAJOR, rows, cols, cols, pointer, ld, tau),
          "sorgqr");
    }
    return r;
  }

  /**
   * Replaces the columns by a well-conditioned basis of their span, cheaper than {@link
   * #orthonormalize()}: the row-permuted unit lower-triangular factor {@code P^T L} of the
   * partially pivoted LU factorization {@code P this = L U} ({@code sgetrf}, then {@code slaswp}).
   * Its entries are bounded by 1 and it has full column rank even when this matrix has not. Needs
   * {@code rows >= cols}.
   */
  void normalizeLu() {
    if (rows < cols) {
      throw new IllegalArgumentException("cannot normalize " + cols + " columns of length " + rows);
    }
    if (cols == 0) {
      return;
    }
    try (IntPointer pivots = new IntPointer(cols)) {
      int info =
          openblas.LAPACKE_sgetrf(openblas.LAPACK_COL_MAJOR, rows, cols, pointer, ld, pivots);
      // info > 0 flags an exactly singular U; L is complete and has full rank all the same.
      check(Math.min(info, 0), "sgetrf");
      float[] head = new float[cols];
      FloatPointer column = new FloatPointer(pointer);
      for (int j = 0; j < cols; j++) {
        // Column j of L: zeros above the diagonal, a one on it, the multipliers below stay.
        if (j > 0) {
          head[j - 1] = 0f;
        }
        head[j] = 1f;
        column.position(pointer.position() + (long) j * ld);
        column.put(head, 0, j + 1);
      }
      check(
          openblas.LAPACKE_slaswp(
              openblas.LAPACK_COL_MAJOR, cols, pointer, ld, 1, cols, pivots, -1),
          "slaswp");
    }
  }

  /**
   * Returns the upper-triangular Cholesky factor {@code T} of the Gram matrix, {@code this^T this =
   * T^T T} (cols x cols, column-major, zeros below the diagonal; {@code ssyrk} then {@code
   * spotrf}), so that {@code this T^-1} is an orthonormal basis of the columns' span; empty if the
   * Gram matrix is not numerically positive definite. Accurate enough for the well-conditioned
   * bases of {@link #normalizeLu()} (condition number about 100).
   */
  Optional<float[]> gramCholesky() {
    int n = cols;
    if (n == 0) {
      return Optional.of(new float[0]);
    }
    try (FloatPointer gram = new FloatPointer((long) n * n)) {
      openblas.cblas_ssyrk(
          openblas.CblasColMajor,
          openblas.CblasUpper,
          openblas.CblasTrans,
          n,
          rows,
          1f,
          pointer,
          ld,
          0f,
          gram,
          n);
      int info = openblas.LAPACKE_spotrf(openblas.LAPACK_COL_MAJOR, (byte) 'U', n, gram, n);
      check(Math.min(info, 0), "spotrf");
      if (info > 0) {
        return Optional.empty();
      }
      float[] t = new float[n * n];
      gram.get(t);
      for (int j = 0; j < n; j++) {
        for (int i = j + 1; i < n; i++) {
          t[j * n + i] = 0f;
        }
      }
      return Optional.of(t);
    }
  }

  /**
   * Computes the thin SVD {@code this = U diag(s) Vt} with {@code sgesdd}, destroying this matrix.
   *
   * @throws ArithmeticException if LAPACK reports that it did not converge
   */
  Svd svdDestroying() {
    int k = Math.min(rows, cols);
    NativeMatrix u = allocate(rows, k);
    NativeMatrix vt = allocate(k, cols);
    boolean done = false;
    try (FloatPointer ps = new FloatPointer(Math.max(1, k))) {
      int info =
          openblas.LAPACKE_sgesdd(
              openblas.LAPACK_COL_MAJOR,
              (byte) 'S',
              rows,
              cols,
              pointer,
              ld,
              ps,
              u.pointer,
              u.ld,
              vt.pointer,
              vt.ld);
      checkSvd(info);
      float[] s = new float[k];
      ps.get(s);
      done = true;
      return new Svd(u, s, vt);
    } finally {
      if (!done) {
        u.close();
        vt.close();
      }
    }
  }

  /**
   * Returns the singular values only ({@code sgesdd} with {@code jobz = 'N'}: no vectors, a
   * fraction of the full decomposition's time), overwriting this matrix.
   */
  float[] singularValuesDestroying() {
    int k = Math.min(rows, cols);
    try (FloatPointer ps = new FloatPointer(Math.max(1, k));
        FloatPointer none = new FloatPointer(1)) {
      int info =
          openblas.LAPACKE_sgesdd(
              openblas.LAPACK_COL_MAJOR, (byte) 'N', rows, cols, pointer, ld, ps, none, 1, none, 1);
      checkSvd(info);
      float[] s = new float[k];
      ps.get(s);
      return s;
    }
  }

  /** Fails on an {@code sgesdd} error code: no convergence, or a bad argument. */
  private void checkSvd(int info) {
    if (info > 0) {
      throw new ArithmeticException(
          "LAPACK sgesdd did not converge on a "
              + rows
              + "x"
              + cols
              + " matrix (info "
              + info
              + ")");
    }
    check(info, "sgesdd");
  }

  /** Returns {@code ||this||_F^2}, accumulated in double precision. */
  double frobeniusNormSquared() {
    return FloatMatrix.wrap(rows, cols, toArray()).frobeniusNormSquared();
  }

  /** Copies the values out, column after column, without the leading-dimension padding. */
  float[] toArray() {
    float[] out = new float[Math.multiplyExact(rows, cols)];
    if (ld == rows) {
      pointer.get(out);
      return out;
    }
    FloatPointer column = new FloatPointer(pointer);
    for (int j = 0; j < cols; j++) {
      column.position(pointer.position() + (long) j * ld);
      column.get(out, j * rows, rows);
    }
    return out;
  }

  /** Copies the values into a row-major {@link FloatMatrix} of the same shape. */
  FloatMatrix toRowMajor() {
    // The column-major array is the row-major cols x rows transpose.
    return FloatMatrix.wrap(rows, cols, transpose(toArray(), cols, rows));
  }

  /**
   * Copies the values into a row-major {@link FloatMatrix} holding the transpose ({@code cols x
   * rows}): the column-major layout read row by row. No element moves.
   */
  FloatMatrix transposeToRowMajor() {
    return FloatMatrix.wrap(cols, rows, toArray());
  }

  private String shape(boolean transposed) {
    return transposed ? cols + "x" + rows + " (transposed)" : rows + "x" + cols;
  }

  private static void check(int info, String routine) {
    if (info != 0) {
      throw new IllegalStateException(
          "LAPACK " + routine + " rejected argument " + (-info) + "; this is a bug in lowrank");
    }
  }

  @Override
  public void close() {
    if (owner) {
      pointer.close();
    }
  }

  /** The parts of a thin SVD; closing it frees {@code u} and {@code vt}. */
  record Svd(NativeMatrix u, float[] s, NativeMatrix vt) implements AutoCloseable {
    @Override
    public void close() {
      u.close();
      vt.close();
    }
  }
}
