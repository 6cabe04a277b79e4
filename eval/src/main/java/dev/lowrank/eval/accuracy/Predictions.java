package dev.lowrank.eval.accuracy;

import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.data.Tensor;
import dev.lowrank.eval.model.InferenceSession;
import dev.lowrank.eval.model.Outputs;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.format.ModelFileException;
import java.util.List;
import java.util.Optional;

/**
 * A model's scores for every sample of a data set: {@code samples} rows of {@code width} values
 * (the first output tensor, flattened per sample), computed batch by batch.
 */
public final class Predictions {

  private final int samples;
  private final int width;
  private final float[] scores;

  private Predictions(int samples, int width, float[] scores) {
    this.samples = samples;
    this.width = width;
    this.scores = scores;
  }

  /**
   * Wraps scores computed elsewhere.
   *
   * @param samples the number of samples
   * @param width the scores per sample
   * @param scores {@code samples * width} values, row-major; not copied
   * @return the predictions
   */
  public static Predictions of(int samples, int width, float[] scores) {
    return new Predictions(samples, width, new Outputs(samples, width, scores).values());
  }

  /**
   * Runs a model over a data set of feature rows.
   *
   * @param session the model's session
   * @param data the samples
   * @param shape the per-sample input shape, of {@code data.featureCount()} values
   * @param batchSize samples per batch
   * @param progress where to report batches done
   * @param label the progress label
   * @return the scores
   * @throws ModelFileException if the model fails on a batch, or its output width changes
   */
  public static Predictions compute(
      InferenceSession session,
      Dataset data,
      SampleShape shape,
      int batchSize,
      Progress progress,
      String label)
      throws ModelFileException {
    return compute(session, data, shape, Optional.empty(), batchSize, progress, label);
  }

  /**
   * Runs a model over a data set: feature rows fed at {@code shape}, named inputs (token ids,
   * masks) at their own shapes, and per-token outputs pooled into sentence embeddings when a
   * pooling is given.
   *
   * @param session the model's session
   * @param data the samples
   * @param shape the per-sample input shape of feature rows (unused for named inputs)
   * @param pooling how per-token outputs become one embedding per sample, or empty
   * @param batchSize samples per batch
   * @param progress where to report batches done
   * @param label the progress label
   * @return the scores (or embeddings)
   * @throws ModelFileException if the model fails on a batch, or its output width changes
   */
  public static Predictions compute(
      InferenceSession session,
      Dataset data,
      SampleShape shape,
      Optional<Pooling> pooling,
      int batchSize,
      Progress progress,
      String label)
      throws ModelFileException {
    if (data.hasFeatureRows() && shape.size() != data.featureCount()) {
      throw new IllegalArgumentException(
          "The shape " + shape + " does not hold " + data.featureCount() + " features");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("The batch size must be at least 1, got " + batchSize);
    }
    int n = data.size();
    long batches = (n + batchSize - 1) / batchSize;
    float[] scores = null;
    int width = 0;
    try (Progress.Step step = progress.start(label, batches)) {
      for (int start = 0; start < n; start += batchSize) {
        int count = Math.min(batchSize, n - start);
        List<Tensor> x = data.batch(start, count, shape);
        Outputs out = session.run(x, pooling);
        if (data.paddedSequences()
            && pooling.isEmpty()
            && out.shape().length == 3
            && out.shape()[1] == x.get(0).dim(1)) {
          throw new ModelFileException(
              session.path(),
              "returns per-token states of shape "
                  + java.util.Arrays.toString(out.shape())
                  + " for text; give a pooling (--pooling mean or cls) to compare sentence"
                  + " embeddings");
        }
        if (scores == null) {
          width = out.width();
          scores = new float[Math.multiplyExact(n, width)];
        } else if (out.width() != width) {
          throw new IllegalStateException(
              "The model returned " + out.width() + " scores per sample, earlier " + width);
        }
        System.arraycopy(out.values(), 0, scores, start * width, count * width);
        step.advance(1);
      }
    }
    return new Predictions(n, width, scores);
  }

  /**
   * Returns the number of samples.
   *
   * @return the samples
   */
  public int samples() {
    return samples;
  }

  /**
   * Returns the scores per sample (the number of classes of a classifier).
   *
   * @return the output width
   */
  public int width() {
    return width;
  }

  /**
   * Returns one score.
   *
   * @param sample the sample
   * @param k the output index
   * @return the score
   */
  public float score(int sample, int k) {
    return scores[sample * width + k];
  }

  /**
   * Returns a sample's predicted class: the index of its highest score (the first on ties).
   *
   * @param sample the sample
   * @return the class
   */
  public int argmax(int sample) {
    int base = sample * width;
    int best = 0;
    for (int k = 1; k < width; k++) {
      if (scores[base + k] > scores[base + best]) {
        best = k;
      }
    }
    return best;
  }

  /**
   * Returns whether a class is among a sample's {@code k} highest scores (fewer than {@code k}
   * scores are strictly higher).
   *
   * @param sample the sample
   * @param label the class
   * @param k how many top scores count
   * @return {@code true} for a top-k hit
   */
  public boolean inTopK(int sample, int label, int k) {
    int base = sample * width;
    float score = scores[base + label];
    int better = 0;
    for (int j = 0; j < width; j++) {
      if (scores[base + j] > score) {
        better++;
      }
    }
    return better < k;
  }
}
