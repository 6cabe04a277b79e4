package dev.lowrank.linalg;

import dev.lowrank.linalg.internal.DoubleKernels;

/**
 * Accumulates the input statistics of one layer over calibration batches: the Gram matrix {@code G
 * = sum x x^T} and the sums of {@code |x_j|}, both in float64, over every position (row) added.
 *
 * <p>Memory is {@code m (m + 1) / 2} doubles for the upper triangle of {@code G} (a 768-wide input
 * takes 2.4 MB, a 3072-wide one 38 MB), plus {@code m} for the sums. Each call multiplies its rows
 * in float32 ({@code ssyrk}) and adds the product into the float64 triangle, so rounding does not
 * build up across batches. Not thread-safe.
 */
public final class GramAccumulator {

  private final int width;
  private final double[] packed;
  private final double[] absoluteSums;
  private long rows;
  private final boolean gram;

  /**
   * Creates an accumulator.
   *
   * @param width the input width {@code m}
   * @param gram whether to accumulate {@code G} (the mean {@code |x_j|} alone needs {@code m}
   *     doubles, for very wide inputs)
   */
  public GramAccumulator(int width, boolean gram) {
    if (width < 1) {
      throw new IllegalArgumentException("An input width must be >= 1, got " + width);
    }
    this.width = width;
    this.gram = gram;
    this.packed = gram ? new double[Math.toIntExact((long) width * (width + 1) / 2)] : null;
    this.absoluteSums = new double[width];
  }

  /**
   * Adds consecutive rows.
   *
   * @param values row-major values of rows of {@link #width()} values
   * @param start the first row to add
   * @param count how many rows
   */
  public void add(float[] values, int start, int count) {
    if (start < 0 || count < 0 || (long) (start + count) * width > values.length) {
      throw new IllegalArgumentException(
          "Rows " + start + ".." + (start + count) + " of width " + width + " exceed the values");
    }
    if (gram) {
      // Bounded chunks keep the float64 copy of the rows within 64 MB.
      int chunk = Math.max(CHUNK, (1 << 23) / width);
      for (int from = start; from < start + count; from += chunk) {
        int n = Math.min(chunk, start + count - from);
        DoubleKernels.addGram(values, from, n, width, packed);
      }
    }
    for (int r = start; r < start + count; r++) {
      int base = r * width;
      for (int j = 0; j < width; j++) {
        absoluteSums[j] += Math.abs(values[base + j]);
      }
    }
    rows += count;
  }

  /** Rows converted and multiplied at once. */
  private static final int CHUNK = 1024;

  /**
   * Adds everything another accumulator of the same width holds.
   *
   * @param other the accumulator to merge in
   */
  public void addAll(GramAccumulator other) {
    if (other.width != width || other.gram != gram) {
      throw new IllegalArgumentException("Accumulators of different widths or kinds");
    }
    if (gram) {
      for (int i = 0; i < packed.length; i++) {
        packed[i] += other.packed[i];
      }
    }
    for (int j = 0; j < width; j++) {
      absoluteSums[j] += other.absoluteSums[j];
    }
    rows += other.rows;
  }

  /**
   * Returns a copy of this accumulator.
   *
   * @return an independent accumulator holding the same sums
   */
  public GramAccumulator copy() {
    GramAccumulator c = new GramAccumulator(width, gram);
    c.addAll(this);
    return c;
  }

  /**
   * Returns the input width.
   *
   * @return {@code m}
   */
  public int width() {
    return width;
  }

  /**
   * Returns the number of rows (positions) added.
   *
   * @return the count
   */
  public long rows() {
    return rows;
  }

  /**
   * Returns whether this accumulator holds a Gram matrix.
   *
   * @return {@code false} when only the mean absolute values are kept
   */
  public boolean hasGram() {
    return gram;
  }

  /**
   * Returns the bytes this accumulator holds.
   *
   * @return the heap size of its arrays
   */
  public long bytes() {
    return 8L * ((gram ? packed.length : 0) + width);
  }

  /**
   * Returns {@code G = sum x x^T} over the rows added.
   *
   * @return a new full matrix
   * @throws IllegalStateException if this accumulator keeps no Gram matrix
   */
  public SymmetricMatrix gram() {
    if (!gram) {
      throw new IllegalStateException("This accumulator keeps the mean |x_j| only, no Gram matrix");
    }
    return SymmetricMatrix.fromPackedUpper(width, packed);
  }

  /**
   * Returns {@code G / rows}, the mean of {@code x x^T} over the rows added: the same whitening
   * directions as {@code G}, at a scale that does not grow with the sample count.
   *
   * @return a new full matrix
   * @throws IllegalStateException if this accumulator keeps no Gram matrix or holds no row
   */
  public SymmetricMatrix meanGram() {
    if (rows == 0) {
      throw new IllegalStateException("No row was added");
    }
    SymmetricMatrix g = gram();
    double[] d = g.data();
    double inv = 1.0 / rows;
    for (int i = 0; i < d.length; i++) {
      d[i] *= inv;
    }
    return g;
  }

  /**
   * Returns the mean {@code |x_j|} of each input over the rows added.
   *
   * @return {@code m} values (zeros before any row)
   */
  public double[] meanAbsolute() {
    double[] out = new double[width];
    for (int j = 0; j < width; j++) {
      out[j] = rows == 0 ? 0 : absoluteSums[j] / rows;
    }
    return out;
  }
}
