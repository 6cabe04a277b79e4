package dev.lowrank.eval.pooling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * How a text encoder's per-token states ({@code batch x tokens x hidden}) become one sentence
 * embedding per text ({@code batch x hidden}), L2-normalized as sentence-transformers' {@code
 * Normalize} module does (so the dot product of two embeddings is their cosine):
 *
 * <ul>
 *   <li>{@link #MEAN}: the mean of the states over the tokens whose attention mask is 1 (padding
 *       left out), the pooling of all-MiniLM-L6-v2 and most sentence-transformers models;
 *   <li>{@link #CLS}: the state of the first token ({@code [CLS]}).
 * </ul>
 *
 * <pre>{@code
 * float[] embeddings = Pooling.MEAN.pool(states, batch, tokens, hidden, mask);
 * NDArray e = Pooling.MEAN.pool(statesArray, maskArray);   // differentiable, for fine-tuning
 * }</pre>
 */
public enum Pooling {
  /** The mean over the tokens the attention mask keeps. */
  MEAN,
  /** The first token's state. */
  CLS;

  /** Norms below this are treated as zero (the embedding stays zero instead of dividing by it). */
  private static final double EPS = 1e-12;

  /**
   * Parses the CLI form, {@code mean} or {@code cls}.
   *
   * @param text the name, any case
   * @return the pooling
   * @throws IllegalArgumentException if the text names no pooling
   */
  public static Pooling parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + text + "' is not a pooling; use mean or cls", e);
    }
  }

  /**
   * Returns the CLI form, as {@link #parse} reads it and reports show it.
   *
   * @return {@code mean} or {@code cls}
   */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Pools per-token states held in a float array.
   *
   * @param states {@code batch * tokens * hidden} values, row-major
   * @param batch the number of texts
   * @param tokens the tokens per text (padded)
   * @param hidden the state width
   * @param mask {@code batch * tokens} values, 1 for a text's tokens and 0 for padding; {@code
   *     null} for no padding
   * @return {@code batch * hidden} L2-normalized values
   */
  public float[] pool(float[] states, int batch, int tokens, int hidden, long[] mask) {
    long size = (long) batch * tokens * hidden;
    if (states.length != size) {
      throw new IllegalArgumentException(
          batch + " x " + tokens + " x " + hidden + " states need " + size + " values");
    }
    if (mask != null && mask.length != (long) batch * tokens) {
      throw new IllegalArgumentException(
          "A mask for " + batch + " x " + tokens + " tokens needs " + batch * tokens + " values");
    }
    float[] out = new float[batch * hidden];
    double[] acc = new double[hidden];
    for (int b = 0; b < batch; b++) {
      java.util.Arrays.fill(acc, 0);
      int base = b * tokens * hidden;
      if (this == CLS) {
        for (int h = 0; h < hidden; h++) {
          acc[h] = states[base + h];
        }
      } else {
        double count = 0;
        for (int t = 0; t < tokens; t++) {
          if (mask != null && mask[b * tokens + t] == 0) {
            continue;
          }
          count++;
          for (int h = 0; h < hidden; h++) {
            acc[h] += states[base + t * hidden + h];
          }
        }
        double scale = 1.0 / Math.max(count, 1e-9);
        for (int h = 0; h < hidden; h++) {
          acc[h] *= scale;
        }
      }
      double norm = 0;
      for (int h = 0; h < hidden; h++) {
        norm += acc[h] * acc[h];
      }
      norm = Math.sqrt(norm);
      double inv = norm < EPS ? 0 : 1.0 / norm;
      for (int h = 0; h < hidden; h++) {
        out[b * hidden + h] = (float) (acc[h] * inv);
      }
    }
    return out;
  }

  /**
   * Pools per-token states held in NDArrays, with the engine's operators (gradients flow through
   * it, for fine-tuning).
   *
   * @param states {@code batch x tokens x hidden}, float32
   * @param mask {@code batch x tokens}, any numeric type (1 for tokens, 0 for padding)
   * @return {@code batch x hidden}, L2-normalized; attached to the states' manager
   */
  public NDArray pool(NDArray states, NDArray mask) {
    if (states.getShape().dimension() != 3) {
      throw new IllegalArgumentException(
          "Pooling needs batch x tokens x hidden states, got " + states.getShape());
    }
    NDArray pooled;
    if (this == CLS) {
      pooled = states.get(":, 0, :");
    } else {
      NDArray m = mask.toType(DataType.FLOAT32, false).expandDims(2);
      NDArray sum = states.mul(m).sum(new int[] {1});
      NDArray count = m.sum(new int[] {1}).maximum(1e-9f);
      pooled = sum.div(count);
    }
    NDArray norm = pooled.norm(new int[] {1}, true).maximum((float) EPS);
    return pooled.div(norm);
  }
}
