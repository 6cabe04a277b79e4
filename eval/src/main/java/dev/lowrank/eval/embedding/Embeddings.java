package dev.lowrank.eval.embedding;

import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.eval.accuracy.Predictions;
import dev.lowrank.eval.model.InferenceSession;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.format.ModelFileException;
import java.util.Optional;

/**
 * One embedding per text: {@code size()} rows of {@code dimension()} floats, row-major, as a pooled
 * text encoder returns them (L2-normalized for {@link Pooling}).
 */
public final class Embeddings {

  private final int size;
  private final int dimension;
  private final float[] values;

  private Embeddings(int size, int dimension, float[] values) {
    if ((long) size * dimension != values.length || size < 1 || dimension < 1) {
      throw new IllegalArgumentException(
          size + " x " + dimension + " embeddings need " + (long) size * dimension + " values");
    }
    this.size = size;
    this.dimension = dimension;
    this.values = values;
  }

  /**
   * Wraps embeddings computed elsewhere.
   *
   * @param size the number of texts
   * @param dimension the embedding width
   * @param values {@code size * dimension} values, row-major; not copied
   * @return the embeddings
   */
  public static Embeddings of(int size, int dimension, float[] values) {
    return new Embeddings(size, dimension, values);
  }

  /**
   * Takes a model's pooled outputs as embeddings.
   *
   * @param predictions one row per text
   * @return the embeddings
   */
  public static Embeddings of(Predictions predictions) {
    float[] v = new float[Math.multiplyExact(predictions.samples(), predictions.width())];
    for (int i = 0; i < predictions.samples(); i++) {
      for (int k = 0; k < predictions.width(); k++) {
        v[i * predictions.width() + k] = predictions.score(i, k);
      }
    }
    return new Embeddings(predictions.samples(), predictions.width(), v);
  }

  /**
   * Embeds tokenized texts with a text encoder.
   *
   * @param session the encoder's session
   * @param texts tokenized texts ({@code dev.lowrank.data.TextData}), inputs in the model's order
   * @param pooling how per-token states become one embedding
   * @param batchSize texts per batch
   * @return one embedding per text
   * @throws ModelFileException if the model fails on a batch
   */
  public static Embeddings compute(
      InferenceSession session, Dataset texts, Pooling pooling, int batchSize)
      throws ModelFileException {
    SampleShape shape = texts.inputs().get(0).shape();
    return of(
        Predictions.compute(
            session, texts, shape, Optional.of(pooling), batchSize, Progress.none(), ""));
  }

  /**
   * Returns the number of texts.
   *
   * @return the rows
   */
  public int size() {
    return size;
  }

  /**
   * Returns the embedding width.
   *
   * @return the columns
   */
  public int dimension() {
    return dimension;
  }

  /**
   * Returns one value.
   *
   * @param i the text
   * @param k the coordinate
   * @return the value
   */
  public float get(int i, int k) {
    return values[i * dimension + k];
  }

  /**
   * Returns a copy of one embedding.
   *
   * @param i the text
   * @return {@link #dimension()} values
   */
  public float[] row(int i) {
    return java.util.Arrays.copyOfRange(values, i * dimension, (i + 1) * dimension);
  }

  /**
   * Returns the cosine between embedding {@code i} of this set and {@code j} of another.
   *
   * @param i a row of this set
   * @param other embeddings of the same width
   * @param j a row of {@code other}
   * @return the cosine, 0 when either row is zero
   */
  public double cosine(int i, Embeddings other, int j) {
    double dot = 0;
    double a = 0;
    double b = 0;
    for (int k = 0; k < dimension; k++) {
      double x = values[i * dimension + k];
      double y = other.values[j * other.dimension + k];
      dot += x * y;
      a += x * x;
      b += y * y;
    }
    return a == 0 || b == 0 ? 0 : dot / Math.sqrt(a * b);
  }

  /**
   * Returns the cosine between each text's embedding here and in {@code other} (the same texts
   * embedded by another model).
   *
   * @param other embeddings of the same texts and width
   * @return one cosine per text
   */
  public double[] cosines(Embeddings other) {
    if (other.size != size || other.dimension != dimension) {
      throw new IllegalArgumentException(
          "Embeddings differ in shape: "
              + size
              + "x"
              + dimension
              + " and "
              + other.size
              + "x"
              + other.dimension);
    }
    double[] out = new double[size];
    for (int i = 0; i < size; i++) {
      out[i] = cosine(i, other, i);
    }
    return out;
  }
}
