package dev.lowrank.eval.model;

/**
 * A model's outputs for one batch: {@code batch} rows of {@code width} scores (the first output
 * tensor, flattened per sample), row-major.
 *
 * @param batch the number of samples
 * @param width the scores per sample (the number of classes of a classifier)
 * @param values {@code batch * width} scores
 */
public record Outputs(int batch, int width, float[] values) {

  /** Checks the sizes. */
  public Outputs {
    if ((long) batch * width != values.length) {
      throw new IllegalArgumentException(
          batch + " x " + width + " outputs need " + (long) batch * width + " values");
    }
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
