package dev.lowrank.finetune.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Turns a model's first output into what the losses compare, one row per sample: {@code [batch,
 * classes]} outputs as they are; per-token {@code [batch, tokens, width]} outputs mean-pooled over
 * the tokens (those the {@code attention_mask} input marks, when the model has one); anything
 * larger flattened.
 */
final class Outputs {

  /** The input name whose values mark the real tokens of a padded text batch. */
  static final String ATTENTION_MASK = "attention_mask";

  private Outputs() {}

  /**
   * Returns the rows the losses compare.
   *
   * @param outputs the model's outputs (the first is used)
   * @param inputs the inputs the model ran on (for the attention mask)
   * @return a float32 array {@code [batch, width]}
   */
  static NDArray rows(NDList outputs, NDList inputs) {
    NDArray out = outputs.head();
    if (out.getDataType() != DataType.FLOAT32) {
      out = out.toType(DataType.FLOAT32, false);
    }
    Shape shape = out.getShape();
    long batch = shape.get(0);
    switch (shape.dimension()) {
      case 1:
        return out.reshape(batch, 1);
      case 2:
        return out;
      case 3:
        NDArray mask = mask(inputs, batch, shape.get(1));
        if (mask == null) {
          return out.mean(new int[] {1});
        }
        NDArray weights = mask.toType(DataType.FLOAT32, false).expandDims(2);
        NDArray counts = weights.sum(new int[] {1}).maximum(1e-9f);
        return out.mul(weights).sum(new int[] {1}).div(counts);
      default:
        return out.reshape(batch, -1);
    }
  }

  /** The attention mask input of shape {@code [batch, tokens]}, or null. */
  private static NDArray mask(NDList inputs, long batch, long tokens) {
    for (NDArray in : inputs) {
      if (ATTENTION_MASK.equals(in.getName())
          && in.getShape().dimension() == 2
          && in.getShape().get(0) == batch
          && in.getShape().get(1) == tokens) {
        return in;
      }
    }
    return null;
  }
}
