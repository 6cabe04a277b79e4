package dev.lowrank.data;

import java.util.Arrays;
import java.util.Locale;

/**
 * The shape of one model input sample, without the batch dimension: {@code 64} for an MLP on flat
 * digits, {@code 1x8x8} for a CNN, {@code 8x8} for a transformer reading rows as tokens.
 *
 * <p>Written and parsed as dimensions joined by {@code x}.
 */
public final class SampleShape {

  private final long[] dims;

  private SampleShape(long[] dims) {
    if (dims.length == 0) {
      throw new IllegalArgumentException("A sample shape needs at least one dimension");
    }
    for (long d : dims) {
      if (d < 1) {
        throw new IllegalArgumentException(
            "Sample shape dimensions must be positive, got " + Arrays.toString(dims));
      }
    }
    this.dims = dims.clone();
  }

  /**
   * Creates a shape from its dimensions.
   *
   * @param dims one or more positive dimensions
   * @return the shape
   */
  public static SampleShape of(long... dims) {
    return new SampleShape(dims);
  }

  /**
   * Creates a one-dimensional shape of {@code features} values.
   *
   * @param features the number of features, at least 1
   * @return the flat shape
   */
  public static SampleShape flat(long features) {
    return new SampleShape(new long[] {features});
  }

  /**
   * Parses the CLI form, e.g. {@code 1x8x8} or {@code 64} (also accepts {@code ,} between
   * dimensions).
   *
   * @param text the shape text
   * @return the shape
   * @throws IllegalArgumentException if the text is not positive integers joined by {@code x}
   */
  public static SampleShape parse(String text) {
    String[] parts = text.trim().toLowerCase(Locale.ROOT).split("[x,]");
    long[] dims = new long[parts.length];
    try {
      for (int i = 0; i < parts.length; i++) {
        dims[i] = Long.parseLong(parts[i].trim());
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a sample shape; write dimensions joined by x, e.g. 1x8x8", e);
    }
    return new SampleShape(dims);
  }

  /**
   * Returns the dimensions.
   *
   * @return a copy of the dimensions
   */
  public long[] dims() {
    return dims.clone();
  }

  /**
   * Returns the number of dimensions.
   *
   * @return the rank of the shape
   */
  public int rank() {
    return dims.length;
  }

  /**
   * Returns one dimension.
   *
   * @param i the axis
   * @return its size
   */
  public long dim(int i) {
    return dims[i];
  }

  /**
   * Returns the number of values of one sample, the product of the dimensions.
   *
   * @return the sample size
   */
  public long size() {
    long n = 1;
    for (long d : dims) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /**
   * Returns the shape of a batch of samples: {@code batch} prepended.
   *
   * @param batch the batch size
   * @return the batch dimensions
   */
  public long[] withBatch(long batch) {
    long[] out = new long[dims.length + 1];
    out[0] = batch;
    System.arraycopy(dims, 0, out, 1, dims.length);
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SampleShape s && Arrays.equals(dims, s.dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  /** Returns the dimensions joined by {@code x}, e.g. {@code 1x8x8}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < dims.length; i++) {
      if (i > 0) {
        sb.append('x');
      }
      sb.append(dims[i]);
    }
    return sb.toString();
  }
}
