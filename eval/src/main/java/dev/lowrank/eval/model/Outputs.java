package dev.lowrank.eval.model;

/**
 * A model's outputs for one batch: {@code batch} rows of {@code width} scores (the first output
 * tensor, flattened per sample, or pooled into one embedding per sample), row-major.
 *
 * @param batch the number of samples
 * @param width the scores per sample (the number of classes of a classifier)
 * @param values {@code batch * width} scores
 * @param shape the shape of the output tensor the rows come from (e.g. {@code [batch, tokens,
 *     hidden]} for a text encoder's per-token states; {@code [batch, width]} after pooling)
 */
public record Outputs(int batch, int width, float[] values, long[] shape) {

  /** Checks the sizes. */
  public Outputs {
    if ((long) batch * width != values.length) {
      throw new IllegalArgumentException(
          batch + " x " + width + " outputs need " + (long) batch * width + " values");
    }
    shape = shape.clone();
  }

  /**
   * Creates outputs of shape {@code [batch, width]}.
   *
   * @param batch the number of samples
   * @param width the scores per sample
   * @param values {@code batch * width} scores
   */
  public Outputs(int batch, int width, float[] values) {
    this(batch, width, values, new long[] {batch, width});
  }

  /**
   * Returns one score.
   *
   * @param sample the sample in the batch
   * @param k the output index
   * @return the score
   */
  public float get(int sample, int k) {
    return values[sample * width + k];
  }
}
