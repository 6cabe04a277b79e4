package dev.lowrank.format.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.lowrank.data.Tensor;

/** Converts between lowrank's engine-neutral {@link Tensor} and DJL's {@link NDArray}. */
final class DjlTensors {

  private DjlTensors() {}

  /**
   * Creates an array holding a tensor's values.
   *
   * @param t the tensor
   * @param manager the manager that owns the new array
   * @return the array, float32 or int64 as the tensor
   */
  static NDArray toArray(Tensor t, NDManager manager) {
    Shape shape = new Shape(t.shape());
    NDArray a =
        t.type() == Tensor.Type.FLOAT32
            ? manager.create(t.floats(), shape)
            : manager.create(t.longs(), shape);
    a.setName(t.name());
    return a;
  }

  /**
   * Copies an array's values into a float32 tensor.
   *
   * @param name the tensor's name
   * @param a the array (any numeric type)
   * @return the tensor
   */
  static Tensor toTensor(String name, NDArray a) {
    float[] values;
    if (a.getDataType() == DataType.FLOAT32) {
      values = a.toFloatArray();
    } else {
      try (NDArray f = a.toType(DataType.FLOAT32, true)) {
        values = f.toFloatArray();
      }
    }
    return Tensor.ofFloats(name, a.getShape().getShape(), values);
  }
}
