package dev.lowrank.linalg;

import java.util.Arrays;

/**
 * A dense float32 matrix in row-major order: the currency between model formats (which read and
 * write weights) and SVD backends (which factorize them).
 *
 * <p>The backing array is not copied: weights of real models are large, and the compressor owns
 * every instance it passes around. Treat the array returned by {@link #data()} as read-only unless
 * you created the matrix yourself.
 */
public final class FloatMatrix {

  private final int rows;
  private final int cols;
  private final float[] data;

  private FloatMatrix(int rows, int cols, float[] data) {
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException(
          "Matrix dimensions must be >= 0, got " + rows + "x" + cols);
    }
    if ((long) rows * cols != data.length) {
      throw new IllegalArgumentException(
          "A "
              + rows
              + "x"
              + cols
              + " matrix needs "
              + (long) rows * cols
              + " values, got "
              + data.length);
    }
    this.rows = rows;
    this.cols = cols;
    this.data = data;
  }

  /**
   * Wraps a row-major array without copying it.
   *
   * @param rows number of rows
   * @param cols number of columns
   * @param data {@code rows * cols} values, row after row
   * @return the matrix
   */
  public static FloatMatrix wrap(int rows, int cols, float[] data) {
    return new FloatMatrix(rows, cols, data);
  }

  /**
   * Creates a zero matrix.
   *
   * @param rows number of rows
   * @param cols number of columns
   * @return a new matrix of zeros
   */
  public static FloatMatrix zeros(int rows, int cols) {
    return new FloatMatrix(rows, cols, new float[Math.multiplyExact(rows, cols)]);
  }

  /**
   * Returns the number of rows.
   *
   * @return rows
   */
  public int rows() {
    return rows;
  }

  /**
   * Returns the number of columns.
   *
   * @return columns
   */
  public int cols() {
    return cols;
  }

  /**
   * Returns the backing row-major array (not a copy).
   *
   * @return the values, row after row
   */
  public float[] data() {
    return data;
  }

  /**
   * Returns one element.
   *
   * @param row row index
   * @param col column index
   * @return the value at {@code (row, col)}
   */
  public float get(int row, int col) {
    return data[row * cols + col];
  }

  /**
   * Returns the squared Frobenius norm, accumulated in double precision.
   *
   * @return the sum of squares of all elements
   */
  public double frobeniusNormSquared() {
    // Four independent sums: one dependent chain of double additions would bound this loop by
    // the adder's latency (it is a measurable share of a randomized SVD of a large matrix).
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = 0;
    for (; i + 3 < data.length; i += 4) {
      double v0 = data[i];
      double v1 = data[i + 1];
      double v2 = data[i + 2];
      double v3 = data[i + 3];
      s0 += v0 * v0;
      s1 += v1 * v1;
      s2 += v2 * v2;
      s3 += v3 * v3;
    }
    for (; i < data.length; i++) {
      double v = data[i];
      s0 += v * v;
    }
    return (s0 + s1) + (s2 + s3);
  }

  /**
   * Returns whether every element is finite (no NaN, no infinity).
   *
   * @return {@code true} if all values are finite
   */
  public boolean isFinite() {
    for (float v : data) {
      if (!Float.isFinite(v)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns the product {@code this * other} in single precision through OpenBLAS's {@code sgemm}
   * (the product the compressor's SVD backends use).
   *
   * @param other a matrix with {@code cols()} rows
   * @return the product
   * @throws IllegalArgumentException if the shapes do not fit
   */
  public FloatMatrix multiply(FloatMatrix other) {
    if (cols != other.rows) {
      throw new IllegalArgumentException(
          "Cannot multiply " + rows + "x" + cols + " by " + other.rows + "x" + other.cols);
    }
    return dev.lowrank.linalg.internal.Blas.gemm(1f, this, false, other, false, 0f, null);
  }

  /**
   * Returns the product {@code this * other}, computed in double precision per element; meant for
   * checks and small matrices, not for hot paths.
   *
   * @param other a matrix with {@code cols()} rows
   * @return the product
   */
  public FloatMatrix times(FloatMatrix other) {
    if (cols != other.rows) {
      throw new IllegalArgumentException(
          "Cannot multiply " + rows + "x" + cols + " by " + other.rows + "x" + other.cols);
    }
    float[] out = new float[Math.multiplyExact(rows, other.cols)];
    double[] acc = new double[other.cols];
    for (int i = 0; i < rows; i++) {
      Arrays.fill(acc, 0);
      for (int k = 0; k < cols; k++) {
        double a = data[i * cols + k];
        if (a == 0) {
          continue;
        }
        int base = k * other.cols;
        for (int j = 0; j < other.cols; j++) {
          acc[j] += a * other.data[base + j];
        }
      }
      for (int j = 0; j < other.cols; j++) {
        out[i * other.cols + j] = (float) acc[j];
      }
    }
    return new FloatMatrix(rows, other.cols, out);
  }

  /**
   * Returns the Frobenius norm of {@code this - other}, in double precision.
   *
   * @param other a matrix of the same shape
   * @return {@code ||this - other||_F}
   */
  public double distance(FloatMatrix other) {
    if (rows != other.rows || cols != other.cols) {
      throw new IllegalArgumentException("Shapes differ: " + shape() + " and " + other.shape());
    }
    double sum = 0;
    for (int i = 0; i < data.length; i++) {
      double d = (double) data[i] - other.data[i];
      sum += d * d;
    }
    return Math.sqrt(sum);
  }

  /**
   * Returns the shape as {@code "rows x cols"}.
   *
   * @return a printable shape
   */
  public String shape() {
    return rows + "x" + cols;
  }

  @Override
  public String toString() {
    return "FloatMatrix[" + shape() + "]";
  }
}
