package dev.lowrank.format.onnx.internal;

import com.google.protobuf.ByteString;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TensorProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TensorProto.DataType;
import dev.lowrank.linalg.FloatMatrix;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Optional;

/**
 * Checks and reads the data of one {@link TensorProto}: its declared shape against the bytes it
 * holds (in a typed field, in {@code raw_data} or in an external file), and float32 matrices read
 * from any of the three without copying the whole model.
 */
final class TensorData {

  /** The rows a blocked transpose reads at a time. */
  private static final int BLOCK = 64;

  private TensorData() {}

  /**
   * Returns the number of elements a tensor's dimensions declare.
   *
   * @param file the model file (named in errors)
   * @param t the tensor
   * @param where the tensor as errors name it
   * @return the product of the dimensions
   * @throws ModelFileException if a dimension is negative or the product overflows
   */
  static long elements(java.nio.file.Path file, TensorProto t, String where)
      throws ModelFileException {
    long count = 1;
    for (long d : t.getDimsList()) {
      if (d < 0) {
        throw new ModelFileException(
            file, where + " has a negative dimension in its shape " + t.getDimsList());
      }
      try {
        count = Math.multiplyExact(count, d);
      } catch (ArithmeticException e) {
        throw new ModelFileException(file, where + " declares an absurd shape " + t.getDimsList());
      }
    }
    return count;
  }

  /**
   * Checks that a tensor holds exactly the data its type and shape declare, wherever it is.
   *
   * @param model the model the tensor belongs to
   * @param t the tensor
   * @param where the tensor as errors name it
   * @return the checked external range when the tensor keeps its data externally
   * @throws ModelFileException if the shape is absurd or the data does not match it
   */
  static Optional<ExternalRef> check(OnnxFile model, TensorProto t, String where)
      throws ModelFileException {
    java.nio.file.Path file = model.path();
    long count = elements(file, t, where);
    long bytes;
    try {
      bytes = ElementTypes.bytes(t.getDataType(), count);
    } catch (ArithmeticException e) {
      throw new ModelFileException(file, where + " declares an absurd shape " + t.getDimsList());
    }
    if (ExternalData.isExternal(t)) {
      return Optional.of(model.external().resolve(t, bytes, where));
    }
    if (t.hasSegment()) {
      return Optional.empty(); // A segment holds part of a tensor, not what the shape declares.
    }
    if (!t.getRawData().isEmpty()) {
      if (bytes >= 0 && t.getRawData().size() != bytes) {
        throw new ModelFileException(
            file,
            where
                + " holds "
                + t.getRawData().size()
                + " bytes of raw data, but its "
                + ElementTypes.name(t.getDataType())
                + " shape "
                + t.getDimsList()
                + " needs "
                + bytes);
      }
      return Optional.empty();
    }
    long held = typedCount(t);
    long needed = typedNeeded(t.getDataType(), count);
    if (needed >= 0 && held != needed) {
      throw new ModelFileException(
          file,
          where
              + " holds "
              + held
              + " values, but its "
              + ElementTypes.name(t.getDataType())
              + " shape "
              + t.getDimsList()
              + " needs "
              + needed);
    }
    return Optional.empty();
  }

  /** The values held in the typed field the tensor's type uses. */
  private static long typedCount(TensorProto t) {
    DataType type = DataType.forNumber(t.getDataType());
    if (type == null) {
      return -1;
    }
    return switch (type) {
      case FLOAT, COMPLEX64 -> t.getFloatDataCount();
      case DOUBLE, COMPLEX128 -> t.getDoubleDataCount();
      case INT64 -> t.getInt64DataCount();
      case UINT32, UINT64 -> t.getUint64DataCount();
      case STRING -> t.getStringDataCount();
      default -> t.getInt32DataCount();
    };
  }

  /** The values the typed field must hold for {@code count} elements, or -1 if unknown. */
  private static long typedNeeded(int dataType, long count) {
    DataType type = DataType.forNumber(dataType);
    if (type == null || type == DataType.UNDEFINED || type == DataType.UNRECOGNIZED) {
      return -1;
    }
    return switch (type) {
      case COMPLEX64, COMPLEX128 -> 2 * count;
      case UINT4, INT4, FLOAT4E2M1 -> count / 2 + count % 2;
      default -> count;
    };
  }

  /**
   * Returns a tensor's raw little-endian bytes: its {@code raw_data}, or its external range mapped
   * into memory.
   *
   * @param model the model
   * @param t a tensor without typed values
   * @param where the tensor as errors name it
   * @return a read-only buffer of the bytes, little-endian, positioned at 0
   * @throws ModelFileException if the external range is invalid or cannot be mapped
   */
  static ByteBuffer rawBytes(OnnxFile model, TensorProto t, String where)
      throws ModelFileException {
    if (ExternalData.isExternal(t)) {
      long count = elements(model.path(), t, where);
      ExternalRef ref =
          model.external().resolve(t, ElementTypes.bytes(t.getDataType(), count), where);
      try {
        return ExternalData.map(ref);
      } catch (IOException e) {
        throw new ModelFileException(
            model.path(), where + " cannot be read from " + ref.location() + " (" + e + ")", e);
      }
    }
    ByteString raw = t.getRawData();
    return raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Reads a 2-D tensor as a float32 matrix: float32 as it is, other floating-point and integer
   * types converted value by value (quantized weights as their integers, without scale).
   *
   * @param model the model
   * @param t the tensor, of shape {@code [rows, cols]}
   * @param transpose whether to return its transpose ({@code cols x rows})
   * @param where the tensor as errors name it
   * @return a new matrix
   * @throws ModelFileException if the tensor is too large for one matrix, of a type with no float
   *     reading (4-bit, 8-bit floats, strings), or its data cannot be read
   */
  static FloatMatrix readMatrix(OnnxFile model, TensorProto t, boolean transpose, String where)
      throws ModelFileException {
    if (t.getDimsCount() != 2) {
      throw new IllegalArgumentException(where + " is not a 2-D tensor: " + shape(t));
    }
    check(model, t, where);
    long rows = t.getDims(0);
    long cols = t.getDims(1);
    if (rows * cols > (Integer.MAX_VALUE - 8) / 4) {
      throw new ModelFileException(
          model.path(),
          where + " is " + rows + " x " + cols + ", too large to read as one matrix (over 2 GB)");
    }
    int r = (int) rows;
    int c = (int) cols;
    int type = t.getDataType();
    float[] out = new float[r * c];
    boolean typed = t.getRawData().isEmpty() && !ExternalData.isExternal(t);
    if (type == DataType.FLOAT_VALUE && !typed) {
      FloatBuffer values = rawBytes(model, t, where).asFloatBuffer();
      if (!transpose) {
        values.get(out);
      } else {
        transposeInto(values, r, c, out);
      }
    } else {
      ByteBuffer raw = typed ? null : rawBytes(model, t, where);
      Element e = element(type, raw, t);
      if (e == null) {
        throw new ModelFileException(
            model.path(),
            where + " holds " + ElementTypes.name(type) + " values, which lowrank cannot read");
      }
      for (int i = 0; i < r; i++) {
        for (int j = 0; j < c; j++) {
          out[transpose ? j * r + i : i * c + j] = e.get(i * c + j);
        }
      }
    }
    return transpose ? FloatMatrix.wrap(c, r, out) : FloatMatrix.wrap(r, c, out);
  }

  /** Reads element {@code i} of a tensor as a float. */
  @FunctionalInterface
  private interface Element {
    float get(int i);
  }

  /** The reader of one element type from raw bytes (or, with {@code raw} null, typed fields). */
  private static Element element(int type, ByteBuffer raw, TensorProto t) {
    DataType d = DataType.forNumber(type);
    if (d == null) {
      return null;
    }
    if (raw == null) {
      return switch (d) {
        case FLOAT -> t::getFloatData;
        case DOUBLE -> i -> (float) t.getDoubleData(i);
        case INT64 -> i -> (float) t.getInt64Data(i);
        case UINT32, UINT64 -> i -> unsigned(t.getUint64Data(i));
        case INT32, INT16, INT8, UINT16, UINT8, BOOL -> i -> (float) t.getInt32Data(i);
        case FLOAT16 -> i -> halfToFloat((short) t.getInt32Data(i));
        case BFLOAT16 -> i -> Float.intBitsToFloat((t.getInt32Data(i) & 0xffff) << 16);
        default -> null;
      };
    }
    return switch (d) {
      case FLOAT -> i -> raw.getFloat(4 * i);
      case DOUBLE -> i -> (float) raw.getDouble(8 * i);
      case INT64 -> i -> (float) raw.getLong(8 * i);
      case UINT64 -> i -> unsigned(raw.getLong(8 * i));
      case INT32 -> i -> (float) raw.getInt(4 * i);
      case UINT32 -> i -> (float) (raw.getInt(4 * i) & 0xffffffffL);
      case INT16 -> i -> (float) raw.getShort(2 * i);
      case UINT16 -> i -> (float) (raw.getShort(2 * i) & 0xffff);
      case INT8 -> i -> (float) raw.get(i);
      case UINT8, BOOL -> i -> (float) (raw.get(i) & 0xff);
      case FLOAT16 -> i -> halfToFloat(raw.getShort(2 * i));
      case BFLOAT16 -> i -> Float.intBitsToFloat((raw.getShort(2 * i) & 0xffff) << 16);
      default -> null;
    };
  }

  private static float unsigned(long v) {
    return v >= 0 ? (float) v : (float) (v >>> 1) * 2f;
  }

  /** IEEE 754 half precision to float. */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant / 1024f / 16384f;
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /** Writes the transpose of the {@code rows x cols} values into {@code out} (cols x rows). */
  private static void transposeInto(FloatBuffer values, int rows, int cols, float[] out) {
    float[] block = new float[Math.min(BLOCK, Math.max(rows, 1)) * cols];
    for (int i0 = 0; i0 < rows; i0 += BLOCK) {
      int n = Math.min(BLOCK, rows - i0);
      values.get(block, 0, n * cols);
      for (int j = 0; j < cols; j++) {
        int base = j * rows + i0;
        for (int i = 0; i < n; i++) {
          out[base + i] = block[i * cols + j];
        }
      }
    }
  }

  /**
   * Returns a matrix's values, transposed or not, as little-endian float32 bytes.
   *
   * @param m the matrix
   * @param transpose whether to write {@code m^T}
   * @return a heap buffer of {@code 4 rows cols} bytes, positioned at 0
   */
  static ByteBuffer littleEndian(FloatMatrix m, boolean transpose) {
    int rows = m.rows();
    int cols = m.cols();
    float[] d = m.data();
    ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(4, rows * cols));
    b.order(ByteOrder.LITTLE_ENDIAN);
    FloatBuffer f = b.asFloatBuffer();
    if (!transpose) {
      f.put(d);
    } else {
      float[] row = new float[rows];
      for (int j = 0; j < cols; j++) {
        for (int i = 0; i < rows; i++) {
          row[i] = d[i * cols + j];
        }
        f.put(row);
      }
    }
    return b;
  }

  /**
   * Returns the shape of a tensor as text, e.g. {@code [384, 1536]}.
   *
   * @param t the tensor
   * @return the dimensions
   */
  static String shape(TensorProto t) {
    return Arrays.toString(t.getDimsList().stream().mapToLong(Long::longValue).toArray());
  }
}
