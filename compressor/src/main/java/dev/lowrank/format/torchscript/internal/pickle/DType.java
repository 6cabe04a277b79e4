package dev.lowrank.format.torchscript.internal.pickle;

import java.util.Optional;

/** The element types of TorchScript storages, by the storage class names the pickles use. */
public enum DType {
  /** 32-bit float. */
  FLOAT32("FloatStorage", 4, true),
  /** 64-bit float. */
  FLOAT64("DoubleStorage", 8, true),
  /** IEEE half precision. */
  FLOAT16("HalfStorage", 2, true),
  /** bfloat16. */
  BFLOAT16("BFloat16Storage", 2, true),
  /** 64-bit int. */
  INT64("LongStorage", 8, false),
  /** 32-bit int. */
  INT32("IntStorage", 4, false),
  /** 16-bit int. */
  INT16("ShortStorage", 2, false),
  /** 8-bit signed int. */
  INT8("CharStorage", 1, false),
  /** 8-bit unsigned int. */
  UINT8("ByteStorage", 1, false),
  /** bool. */
  BOOL("BoolStorage", 1, false),
  /** complex of two 32-bit floats. */
  COMPLEX64("ComplexFloatStorage", 8, false),
  /** complex of two 64-bit floats. */
  COMPLEX128("ComplexDoubleStorage", 16, false);

  private final String storageClass;
  private final int bytes;
  private final boolean floating;

  DType(String storageClass, int bytes, boolean floating) {
    this.storageClass = storageClass;
    this.bytes = bytes;
    this.floating = floating;
  }

  /**
   * Returns the storage class name, e.g. {@code FloatStorage} (module {@code torch}).
   *
   * @return the class name
   */
  public String storageClass() {
    return storageClass;
  }

  /**
   * Returns the size of one element.
   *
   * @return bytes per element
   */
  public int bytes() {
    return bytes;
  }

  /**
   * Returns whether the type is a real floating-point type lowrank can factorize.
   *
   * @return {@code true} for float16, bfloat16, float32 and float64
   */
  public boolean floating() {
    return floating;
  }

  /**
   * Finds the type of a storage class name.
   *
   * @param storageClass e.g. {@code HalfStorage}
   * @return the type, if known
   */
  public static Optional<DType> ofStorageClass(String storageClass) {
    for (DType t : values()) {
      if (t.storageClass.equals(storageClass)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
