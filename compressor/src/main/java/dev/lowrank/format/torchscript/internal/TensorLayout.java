package dev.lowrank.format.torchscript.internal;

import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.torchscript.internal.pickle.DType;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyTensor;
import dev.lowrank.format.torchscript.internal.zip.ZipArchive;
import dev.lowrank.format.torchscript.internal.zip.ZipEntryInfo;
import dev.lowrank.linalg.FloatMatrix;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Converts between tensor data in storages (any floating dtype, any offset and strides) and
 * row-major float32 matrices.
 */
final class TensorLayout {

  private TensorLayout() {}

  /**
   * Returns how many storage elements a tensor reaches: {@code offset + sum((size_i - 1) *
   * stride_i) + 1}, or 0 for an empty tensor.
   *
   * @param t the tensor
   * @return the elements it needs
   * @throws IllegalArgumentException if a size, stride or the offset is negative
   * @throws ArithmeticException if the extent overflows a long
   */
  static long elementsNeeded(PyTensor t) {
    long[] size = t.size();
    long[] stride = t.stride();
    if (t.offset() < 0) {
      throw new IllegalArgumentException("negative storage offset " + t.offset());
    }
    long last = t.offset();
    for (int i = 0; i < size.length; i++) {
      if (size[i] < 0 || stride[i] < 0) {
        throw new IllegalArgumentException("negative size or stride");
      }
      if (size[i] == 0) {
        return 0;
      }
      last = Math.addExact(last, Math.multiplyExact(size[i] - 1, stride[i]));
    }
    return Math.addExact(last, 1);
  }

  /**
   * Reads a floating tensor of two or more dimensions as a float32 matrix: its first axis the rows,
   * the others flattened in row-major order into the columns (a convolution's kernel {@code C_out x
   * C_in x kh x kw} becomes its channel form {@code C_out x (C_in kh kw)}).
   *
   * @param zip the archive
   * @param entry the storage entry
   * @param t the tensor
   * @param order the byte order of the data
   * @return a new matrix
   * @throws ModelFileException if the storage cannot be read or is not floating point
   */
  static FloatMatrix readMatrix(ZipArchive zip, ZipEntryInfo entry, PyTensor t, ByteOrder order)
      throws ModelFileException {
    long[] size = t.size();
    long[] stride = t.stride();
    DType dtype = t.storage().dtype();
    if (size.length < 2 || !dtype.floating()) {
      throw new IllegalArgumentException("Not a floating tensor of 2 or more dimensions: " + t);
    }
    int n = Math.toIntExact(size[0]);
    long colsLong = 1;
    for (int d = 1; d < size.length; d++) {
      colsLong = Math.multiplyExact(colsLong, size[d]);
    }
    int m = Math.toIntExact(colsLong);
    float[] out = new float[Math.multiplyExact(n, m)];
    long needed = elementsNeeded(t);
    if (needed == 0) {
      return FloatMatrix.wrap(n, m, out);
    }
    long first = t.offset();
    long span = needed - first;
    int bytes = dtype.bytes();
    if (Math.multiplyExact(span, (long) bytes) > Integer.MAX_VALUE - 16) {
      throw new ModelFileException(
          zip.path(), "tensor " + t + " spans more than 2 GB of storage; lowrank cannot read it");
    }
    ByteBuffer buf;
    if (first == 0 && span * bytes == entry.size()) {
      buf = ByteBuffer.wrap(zip.readAll(entry, entry.size()));
    } else {
      buf = zip.readRange(entry, first * bytes, (int) (span * bytes));
    }
    buf.order(order);
    int dims = size.length;
    long[] index = new long[dims];
    int k = 0;
    for (int i = 0; i < n; i++) {
      java.util.Arrays.fill(index, 0);
      long base = i * stride[0];
      long at = base;
      for (int j = 0; j < m; j++) {
        out[k++] = read(buf, (int) (at * bytes), dtype);
        // Odometer over axes 1..dims-1, last axis fastest.
        for (int d = dims - 1; d >= 1; d--) {
          index[d]++;
          at += stride[d];
          if (index[d] < size[d]) {
            break;
          }
          at -= index[d] * stride[d];
          index[d] = 0;
        }
      }
    }
    return FloatMatrix.wrap(n, m, out);
  }

  private static float read(ByteBuffer buf, int at, DType dtype) {
    return switch (dtype) {
      case FLOAT32 -> buf.getFloat(at);
      case FLOAT64 -> (float) buf.getDouble(at);
      case FLOAT16 -> Float.intBitsToFloat(halfToFloatBits(buf.getShort(at)));
      case BFLOAT16 -> Float.intBitsToFloat((buf.getShort(at) & 0xFFFF) << 16);
      default -> throw new IllegalArgumentException("Not a floating dtype: " + dtype);
    };
  }

  /**
   * Writes a matrix as contiguous storage bytes of a floating dtype.
   *
   * @param w the matrix
   * @param dtype float32, float64, float16 or bfloat16
   * @param order the byte order
   * @return the storage bytes, {@code rows * cols * dtype.bytes()} of them
   */
  static byte[] toBytes(FloatMatrix w, DType dtype, ByteOrder order) {
    float[] v = w.data();
    ByteBuffer buf = ByteBuffer.allocate(Math.multiplyExact(v.length, dtype.bytes())).order(order);
    for (float x : v) {
      switch (dtype) {
        case FLOAT32 -> buf.putFloat(x);
        case FLOAT64 -> buf.putDouble(x);
        case FLOAT16 -> buf.putShort(floatToHalf(x));
        case BFLOAT16 -> buf.putShort(floatToBfloat16(x));
        default -> throw new IllegalArgumentException("Not a floating dtype: " + dtype);
      }
    }
    return buf.array();
  }

  static int halfToFloatBits(short h) {
    int bits = h & 0xFFFF;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1F;
    int mant = bits & 0x3FF;
    if (exp == 0x1F) {
      return sign | 0x7F800000 | (mant << 13);
    }
    if (exp == 0) {
      if (mant == 0) {
        return sign;
      }
      // Subnormal: normalize.
      int e = -1;
      do {
        mant <<= 1;
        e++;
      } while ((mant & 0x400) == 0);
      mant &= 0x3FF;
      return sign | ((127 - 15 - e) << 23) | (mant << 13);
    }
    return sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }

  /** Rounds a float to the nearest half (ties to even), as PyTorch does. */
  static short floatToHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int val = bits & 0x7FFFFFFF;
    if (val > 0x7F800000) {
      return (short) (sign | 0x7E00);
    }
    if (val >= 0x47800000) {
      return (short) (sign | 0x7C00);
    }
    if (val < 0x38800000) {
      int exp = val >>> 23;
      int shift = 126 - exp;
      if (shift > 24) {
        return (short) sign;
      }
      int mant = (val & 0x7FFFFF) | 0x800000;
      int r = mant >>> shift;
      int rem = mant & ((1 << shift) - 1);
      int half = 1 << (shift - 1);
      if (rem > half || (rem == half && (r & 1) == 1)) {
        r++;
      }
      return (short) (sign | r);
    }
    int r = ((((val >>> 23) - 127 + 15)) << 10) | ((val & 0x7FFFFF) >>> 13);
    int rem = val & 0x1FFF;
    if (rem > 0x1000 || (rem == 0x1000 && (r & 1) == 1)) {
      r++;
    }
    return (short) (sign | r);
  }

  /** Rounds a float to the nearest bfloat16 (ties to even), as PyTorch does. */
  static short floatToBfloat16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) 0x7FC0;
    }
    int rounding = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }
}
