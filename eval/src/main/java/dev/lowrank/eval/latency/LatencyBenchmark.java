package dev.lowrank.eval.latency;

import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.data.Tensor;
import dev.lowrank.eval.latency.internal.InterleavedTimer;
import dev.lowrank.eval.model.InferenceSession;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.format.ModelFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Measures the latency of an original and a compressed model side by side, per batch size, in one
 * interleaved run (see {@link LatencySettings} for warm-up and stopping).
 *
 * <p>A timed run is what a Java caller sees: the batch copied into native arrays, the forward pass,
 * and the scores (or pooled embeddings) copied back. Batches are the data set's first samples
 * (repeated if the set is smaller than the batch). The engine's intra-op thread count applies to
 * both models alike.
 */
public final class LatencyBenchmark {

  private LatencyBenchmark() {}

  /**
   * Measures both models at every batch size.
   *
   * @param original the original model's session
   * @param compressed the compressed model's session
   * @param data the samples to feed
   * @param shape the per-sample input shape
   * @param settings batch sizes, warm-up and stopping
   * @param progress reports one unit per batch size
   * @return one comparison per batch size, in the settings' order
   * @throws ModelFileException if a model fails on a batch
   */
  public static List<LatencyComparison> run(
      InferenceSession original,
      InferenceSession compressed,
      Dataset data,
      SampleShape shape,
      LatencySettings settings,
      Progress progress)
      throws ModelFileException {
    return run(original, compressed, data, shape, Optional.empty(), settings, progress);
  }

  /**
   * Measures both models at every batch size, feeding every named input of the data (token ids,
   * masks) and timing the pooling too when one is given.
   *
   * @param original the original model's session
   * @param compressed the compressed model's session
   * @param data the samples to feed
   * @param shape the per-sample input shape of feature rows
   * @param pooling the pooling of per-token outputs, or empty
   * @param settings batch sizes, warm-up and stopping
   * @param progress reports one unit per batch size
   * @return one comparison per batch size, in the settings' order
   * @throws ModelFileException if a model fails on a batch
   */
  public static List<LatencyComparison> run(
      InferenceSession original,
      InferenceSession compressed,
      Dataset data,
      SampleShape shape,
      Optional<Pooling> pooling,
      LatencySettings settings,
      Progress progress)
      throws ModelFileException {
    InterleavedTimer timer = new InterleavedTimer(settings, System::nanoTime);
    List<LatencyComparison> results = new ArrayList<>();
    try (Progress.Step step = progress.start("latency", settings.batchSizes().size())) {
      for (int batch : settings.batchSizes()) {
        List<Tensor> x = data.batch(0, batch, shape);
        InterleavedTimer.Times times =
            timer.measure(() -> original.run(x, pooling), () -> compressed.run(x, pooling));
        results.add(
            new LatencyComparison(
                batch, LatencyStats.of(batch, times.a()), LatencyStats.of(batch, times.b())));
        step.advance(1);
      }
    }
    return results;
  }
}
