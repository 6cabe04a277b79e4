package dev.lowrank.format.onnx.internal;

import dev.lowrank.format.onnx.internal.proto.OnnxProto.TensorProto.DataType;

/** What lowrank knows about ONNX element types: their names, widths and which hold parameters. */
final class ElementTypes {

  private ElementTypes() {}

  /**
   * Returns the type's name as the specification spells it ({@code FLOAT}, {@code FLOAT16}).
   *
   * @param type a {@code TensorProto.DataType} number
   * @return the name, or {@code type <n>} for a number this build does not know
   */
  static String name(int type) {
    DataType t = DataType.forNumber(type);
    return t == null || t == DataType.UNRECOGNIZED ? "type " + type : t.name();
  }

  /**
   * Returns the width of one element in bits, for the fixed-width types.
   *
   * @param type a {@code TensorProto.DataType} number
   * @return 4, 8, 16, 32, 64 or 128, or -1 for strings, undefined and unknown types
   */
  static int bits(int type) {
    DataType t = DataType.forNumber(type);
    if (t == null) {
      return -1;
    }
    return switch (t) {
      case UINT4, INT4, FLOAT4E2M1 -> 4;
      case UINT8, INT8, BOOL, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ -> 8;
      case UINT16, INT16, FLOAT16, BFLOAT16 -> 16;
      case FLOAT, INT32, UINT32 -> 32;
      case INT64, UINT64, DOUBLE, COMPLEX64 -> 64;
      case COMPLEX128 -> 128;
      default -> -1;
    };
  }

  /**
   * Returns the number of bytes {@code count} elements take in {@code raw_data} or an external file
   * (4-bit types pack two elements per byte).
   *
   * @param type the element type
   * @param count the number of elements
   * @return the bytes, or -1 when the type has no fixed width
   * @throws ArithmeticException if the size overflows a long
   */
  static long bytes(int type, long count) {
    int bits = bits(type);
    if (bits < 0) {
      return -1;
    }
    if (bits == 4) {
      return count / 2 + count % 2;
    }
    return Math.multiplyExact(count, bits / 8);
  }

  /**
   * Returns whether initializers of this type count as trained parameters: floating-point types and
   * the 8- and 4-bit integers that quantized weights use; not the wider integers, booleans and
   * strings that hold shapes, indices and masks.
   *
   * @param type the element type
   * @return {@code true} for a parameter type
   */
  static boolean holdsParameters(int type) {
    DataType t = DataType.forNumber(type);
    if (t == null) {
      return false;
    }
    return switch (t) {
      case FLOAT,
          FLOAT16,
          BFLOAT16,
          DOUBLE,
          FLOAT8E4M3FN,
          FLOAT8E4M3FNUZ,
          FLOAT8E5M2,
          FLOAT8E5M2FNUZ,
          FLOAT4E2M1,
          INT8,
          UINT8,
          INT4,
          UINT4 ->
          true;
      default -> false;
    };
  }
}
