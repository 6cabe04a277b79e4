package dev.lowrank.finetune.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lowrank.data.DataFileException;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.data.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * The fine-tuning samples as model inputs: any rows of the data set, in any order, as the arrays of
 * one batch (through {@link Dataset#batch}, so every kind of data set the data module reads works,
 * several inputs included), refusing NaN and infinite values.
 */
final class Batches {

  private final Dataset data;
  private final SampleShape shape;

  Batches(Dataset data, SampleShape shape) {
    this.data = data;
    this.shape = shape;
  }

  Dataset data() {
    return data;
  }

  SampleShape shape() {
    return shape;
  }

  /**
   * Returns the inputs of some samples as tensors.
   *
   * @param rows the sample indices
   * @return the model inputs, the batch on axis 0
   * @throws DataFileException if the samples do not have the input shape's values
   */
  List<Tensor> tensors(int[] rows) throws DataFileException {
    try {
      return data.select(rows).batch(0, rows.length, shape);
    } catch (IllegalArgumentException e) {
      throw new DataFileException(
          data.source(),
          "its samples do not fit the model's input shape "
              + shape
              + " ("
              + e.getMessage()
              + "); give the model's per-sample input shape (--input-shape, e.g. 1x8x8)",
          e);
    }
  }

  /**
   * Returns the inputs of some samples as arrays.
   *
   * @param rows the sample indices
   * @param manager the owner of the arrays
   * @return the model inputs
   * @throws DataFileException if a value is NaN or infinite
   */
  NDList inputs(int[] rows, NDManager manager) throws DataFileException {
    NDList list = new NDList();
    for (Tensor t : tensors(rows)) {
      Shape s = new Shape(t.shape());
      NDArray a;
      if (t.type() == Tensor.Type.FLOAT32) {
        float[] values = t.floats();
        for (int i = 0; i < values.length; i++) {
          if (!Float.isFinite(values[i])) {
            int row = rows[(int) ((long) i * rows.length / values.length)];
            throw new DataFileException(
                data.source(),
                "sample " + row + " holds NaN or infinite values; fine-tuning needs finite inputs");
          }
        }
        a = manager.create(values, s);
      } else {
        a = manager.create(t.longs(), s);
      }
      a.setName(t.name());
      list.add(a);
    }
    return list;
  }

  /**
   * Returns consecutive chunks of some rows.
   *
   * @param rows the sample indices, in order
   * @param size the chunk size
   * @return the chunks, the last one possibly shorter
   */
  static List<int[]> chunks(int[] rows, int size) {
    int count = (rows.length + size - 1) / size;
    int[][] out = new int[count][];
    for (int i = 0; i < count; i++) {
      out[i] = Arrays.copyOfRange(rows, i * size, Math.min(rows.length, (i + 1) * size));
    }
    return List.of(out);
  }
}
