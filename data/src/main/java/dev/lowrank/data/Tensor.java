package dev.lowrank.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * A named n-dimensional array of float32 or int64 values in row-major (C) order: one model input or
 * output, or one layer's input as a calibration observes it. The currency between data sets, the
 * model formats that run models, and the compressor's calibration, independent of any engine.
 *
 * <p>The backing array is not copied (calibration moves large activations): treat the arrays that
 * {@link #floats()} and {@link #longs()} return as read-only unless you created the tensor.
 */
public final class Tensor {

  /** The element type. */
  public enum Type {
    /** 32-bit floating point. */
    FLOAT32,
    /** 64-bit signed integers (token ids, attention masks). */
    INT64
  }

  private final String name;
  private final long[] shape;
  private final Type type;
  private final float[] floats;
  private final long[] longs;

  private Tensor(String name, long[] shape, Type type, float[] floats, long[] longs) {
    this.name = Objects.requireNonNull(name, "name");
    this.shape = shape.clone();
    this.type = type;
    this.floats = floats;
    this.longs = longs;
    long size = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(
            "Tensor " + name + " has a negative dimension in " + Arrays.toString(shape));
      }
      size = Math.multiplyExact(size, d);
    }
    int length = floats != null ? floats.length : longs.length;
    if (size != length) {
      throw new IllegalArgumentException(
          "Tensor "
              + name
              + " of shape "
              + Arrays.toString(shape)
              + " needs "
              + size
              + " values, got "
              + length);
    }
  }

  /**
   * Wraps float32 values without copying them.
   *
   * @param name the tensor's name (a model input's name, or a layer's)
   * @param shape the dimensions
   * @param values the values, row-major
   * @return the tensor
   */
  public static Tensor ofFloats(String name, long[] shape, float[] values) {
    return new Tensor(name, shape, Type.FLOAT32, Objects.requireNonNull(values), null);
  }

  /**
   * Wraps int64 values without copying them.
   *
   * @param name the tensor's name
   * @param shape the dimensions
   * @param values the values, row-major
   * @return the tensor
   */
  public static Tensor ofLongs(String name, long[] shape, long[] values) {
    return new Tensor(name, shape, Type.INT64, null, Objects.requireNonNull(values));
  }

  /**
   * Returns the name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns a copy of the dimensions.
   *
   * @return the shape
   */
  public long[] shape() {
    return shape.clone();
  }

  /**
   * Returns one dimension.
   *
   * @param axis the axis, from 0
   * @return its length
   */
  public long dim(int axis) {
    return shape[axis];
  }

  /**
   * Returns the number of dimensions.
   *
   * @return the rank of the array (0 for a scalar)
   */
  public int dimensions() {
    return shape.length;
  }

  /**
   * Returns the element type.
   *
   * @return the type
   */
  public Type type() {
    return type;
  }

  /**
   * Returns the number of values.
   *
   * @return the product of the dimensions
   */
  public int size() {
    return floats != null ? floats.length : longs.length;
  }

  /**
   * Returns the backing float32 values (not a copy).
   *
   * @return the values, row-major
   * @throws IllegalStateException if the tensor holds int64 values
   */
  public float[] floats() {
    if (floats == null) {
      throw new IllegalStateException("Tensor " + name + " holds int64 values, not float32");
    }
    return floats;
  }

  /**
   * Returns the backing int64 values (not a copy).
   *
   * @return the values, row-major
   * @throws IllegalStateException if the tensor holds float32 values
   */
  public long[] longs() {
    if (longs == null) {
      throw new IllegalStateException("Tensor " + name + " holds float32 values, not int64");
    }
    return longs;
  }

  /**
   * Returns the values as float32 (int64 values converted).
   *
   * @return a float array (the backing one for a float32 tensor)
   */
  public float[] toFloats() {
    if (floats != null) {
      return floats;
    }
    float[] f = new float[longs.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = longs[i];
    }
    return f;
  }

  /**
   * Returns the same values under another name.
   *
   * @param newName the name
   * @return a tensor sharing this one's values
   */
  public Tensor withName(String newName) {
    return new Tensor(newName, shape, type, floats, longs);
  }

  /**
   * Returns the same values with another shape of the same size.
   *
   * @param newShape the dimensions
   * @return a tensor sharing this one's values
   */
  public Tensor reshape(long[] newShape) {
    return new Tensor(name, newShape, type, floats, longs);
  }

  /**
   * Returns a copy of consecutive entries along the first axis.
   *
   * @param start the first entry
   * @param count how many
   * @return the slice, of shape {@code [count, ...]}
   */
  public Tensor rows(int start, int count) {
    if (shape.length == 0 || start < 0 || count < 0 || start + (long) count > shape[0]) {
      throw new IndexOutOfBoundsException(
          "Rows " + start + ".." + (start + count) + " of tensor " + name + " " + shapeText());
    }
    int row = shape[0] == 0 ? 0 : (int) (size() / shape[0]);
    long[] s = shape.clone();
    s[0] = count;
    int from = start * row;
    int to = from + count * row;
    return floats != null
        ? new Tensor(name, s, type, Arrays.copyOfRange(floats, from, to), null)
        : new Tensor(name, s, type, null, Arrays.copyOfRange(longs, from, to));
  }

  /**
   * Returns the shape as text, e.g. {@code [32, 128, 384]}.
   *
   * @return the printable shape
   */
  public String shapeText() {
    return Arrays.toString(shape);
  }

  @Override
  public String toString() {
    return "Tensor["
        + name
        + " "
        + type.name().toLowerCase(java.util.Locale.ROOT)
        + shapeText()
        + "]";
  }
}
