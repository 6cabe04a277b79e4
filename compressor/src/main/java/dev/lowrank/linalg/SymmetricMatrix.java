package dev.lowrank.linalg;

import java.util.Arrays;

/**
 * A symmetric {@code m x m} matrix of float64 values in full storage (row-major and column-major
 * coincide): a Gram matrix {@code G = sum x x^T} of a layer's inputs, from which {@link Whitening}
 * derives a factor {@code C} with {@code C C^T = G}.
 *
 * <p>The backing array is not copied; treat {@link #data()} as read-only unless you created it.
 */
public final class SymmetricMatrix {

  private final int size;
  private final double[] data;

  private SymmetricMatrix(int size, double[] data) {
    if (size < 0 || (long) size * size != data.length) {
      throw new IllegalArgumentException(
          "A " + size + "x" + size + " matrix needs " + (long) size * size + " values");
    }
    this.size = size;
    this.data = data;
  }

  /**
   * Wraps values without copying them; only their upper triangle is read, and the lower one is made
   * its mirror.
   *
   * @param size the order {@code m}
   * @param data {@code m * m} values, entry {@code (i, j)} at {@code i + j m} for {@code i <= j}
   * @return the matrix
   */
  public static SymmetricMatrix wrap(int size, double[] data) {
    SymmetricMatrix g = new SymmetricMatrix(size, data);
    for (int j = 0; j < size; j++) {
      for (int i = 0; i < j; i++) {
        data[j + i * size] = data[i + j * size];
      }
    }
    return g;
  }

  /**
   * Unpacks the upper triangle stored by columns ({@code packed[j (j + 1) / 2 + i]} is entry {@code
   * (i, j)}, {@code i <= j}) into a full matrix.
   *
   * @param size the order {@code m}
   * @param packed {@code m (m + 1) / 2} values
   * @return a new matrix
   */
  public static SymmetricMatrix fromPackedUpper(int size, double[] packed) {
    if (packed.length != (long) size * (size + 1) / 2) {
      throw new IllegalArgumentException(
          "A packed " + size + "x" + size + " triangle needs " + (long) size * (size + 1) / 2);
    }
    double[] full = new double[Math.multiplyExact(size, size)];
    for (int j = 0; j < size; j++) {
      int base = j * (j + 1) / 2;
      for (int i = 0; i <= j; i++) {
        double v = packed[base + i];
        full[i + j * size] = v;
        full[j + i * size] = v;
      }
    }
    return new SymmetricMatrix(size, full);
  }

  /**
   * Returns the order.
   *
   * @return {@code m}
   */
  public int size() {
    return size;
  }

  /**
   * Returns the backing array (not a copy).
   *
   * @return {@code m * m} values
   */
  public double[] data() {
    return data;
  }

  /**
   * Returns one entry.
   *
   * @param i row
   * @param j column
   * @return {@code G[i, j]}
   */
  public double get(int i, int j) {
    return data[i + j * size];
  }

  /**
   * Returns the trace.
   *
   * @return {@code sum G[i, i]}
   */
  public double trace() {
    double t = 0;
    for (int i = 0; i < size; i++) {
      t += data[i + i * size];
    }
    return t;
  }

  /**
   * Returns whether every entry is finite.
   *
   * @return {@code true} if there is no NaN or infinity
   */
  public boolean isFinite() {
    for (double v : data) {
      if (!Double.isFinite(v)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns a copy with {@code delta} added to the diagonal.
   *
   * @param delta the shift
   * @return {@code G + delta I}
   */
  public SymmetricMatrix plusDiagonal(double delta) {
    double[] copy = data.clone();
    for (int i = 0; i < size; i++) {
      copy[i + i * size] += delta;
    }
    return new SymmetricMatrix(size, copy);
  }

  @Override
  public String toString() {
    return "SymmetricMatrix[" + size + "x" + size + ", trace " + trace() + "]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SymmetricMatrix s && s.size == size && Arrays.equals(s.data, data);
  }

  @Override
  public int hashCode() {
    return 31 * size + Arrays.hashCode(data);
  }
}
