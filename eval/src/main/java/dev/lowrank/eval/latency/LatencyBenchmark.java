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
import java.util.Locale;
import java.util.Optional;

/**
 * Measures the latency of an original and a compressed model side by side, per batch size, in one
 * interleaved run (see {@link LatencySettings} for warm-up and stopping).
 *
 * <p>A timed run is what a Java caller sees: the batch copied into native arrays, the forward pass,
 * and the scores (or pooled embeddings) copied back. Batches are the data set's first samples
 * (repeated if the set is smaller than the batch). The engine's intra-op thread count applies to
 * both models alike.
 *
 * <p>Before anything is timed, {@link #checkBatchSizes} refuses a batch size whose arrays could not
 * be held (a {@link BatchTooLargeException}), rather than failing half-way with an overflow.
 */
public final class LatencyBenchmark {

  /** The longest array a Java virtual machine allocates: a few words short of 2^31 - 1. */
  public static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

  private LatencyBenchmark() {}

  /**
   * Checks that the arrays of every batch size can be held: each input of a batch (its values for
   * that many samples), and the models' outputs for it, must fit in one Java array each, and all of
   * them together in the most heap the JVM may use ({@link Runtime#maxMemory()}). With a pooling,
   * the models return per-token states before they are pooled: the batch's tokens times {@code
   * outputWidth} values per sample.
   *
   * @param batchSizes the batch sizes to be timed
   * @param data the samples, whose first ones make each batch (repeated when fewer)
   * @param shape the per-sample input shape of feature rows (unused for named inputs)
   * @param outputWidth the values per sample the models return (pooled: the embedding width); 0
   *     when not known, to check the inputs only
   * @param pooling the pooling of per-token outputs, or empty
   * @throws BatchTooLargeException for the first batch size that does not fit, with the largest
   *     that would
   */
  public static void checkBatchSizes(
      List<Integer> batchSizes,
      Dataset data,
      SampleShape shape,
      int outputWidth,
      Optional<Pooling> pooling) {
    for (int batch : batchSizes) {
      Optional<String> problem = misfit(batch, data, shape, outputWidth, pooling);
      if (problem.isPresent()) {
        int lo = 0;
        int hi = batch;
        while (hi - lo > 1) {
          int mid = (lo + hi) >>> 1;
          if (misfit(mid, data, shape, outputWidth, pooling).isEmpty()) {
            lo = mid;
          } else {
            hi = mid;
          }
        }
        throw new BatchTooLargeException(
            batch,
            lo,
            String.format(
                Locale.ROOT,
                "a batch of %,d samples: %s; %s",
                batch,
                problem.get(),
                lo > 0
                    ? String.format(Locale.ROOT, "use batch sizes of at most %,d", lo)
                    : "not even one sample fits"));
      }
    }
  }

  /** Why a batch's arrays cannot be held, or empty when they can. */
  private static Optional<String> misfit(
      int batch, Dataset data, SampleShape shape, int outputWidth, Optional<Pooling> pooling) {
    if (batch < 1) {
      return Optional.empty();
    }
    int tokens = -1;
    if (data.paddedSequences()) {
      for (int k = 0; k < Math.min(batch, data.size()); k++) {
        tokens = Math.max(tokens, data.sequenceLength(k));
      }
    }
    double bytes = 0;
    for (Dataset.Input in : data.inputs()) {
      long perSample;
      if (data.hasFeatureRows()) {
        perSample = shape.size();
      } else if (tokens > 0) {
        perSample = in.shape().size() / in.shape().dim(0) * tokens;
      } else {
        perSample = in.shape().size();
      }
      double values = (double) batch * perSample;
      if (values > MAX_ARRAY_LENGTH) {
        return Optional.of(
            String.format(
                Locale.ROOT,
                "its input '%s' (%,d values per sample) holds %,.0f values, more than one Java"
                    + " array can (%,d)",
                in.name(),
                perSample,
                values,
                MAX_ARRAY_LENGTH));
      }
      bytes += values * (in.type() == Tensor.Type.INT64 ? 8 : 4);
    }
    if (outputWidth > 0) {
      long perToken = outputWidth;
      long perSample = perToken;
      String what = String.format(Locale.ROOT, "its outputs (%,d per sample)", perSample);
      if (pooling.isPresent()) {
        int t = tokens > 0 ? tokens : data.sequenceLength(0);
        perSample = perToken * t;
        what =
            String.format(
                Locale.ROOT, "its per-token outputs (%,d tokens x %,d per sample)", t, perToken);
        bytes += (double) batch * perToken * 4;
      }
      double values = (double) batch * perSample;
      if (values > MAX_ARRAY_LENGTH) {
        return Optional.of(
            String.format(
                Locale.ROOT,
                "%s hold %,.0f values, more than one Java array can (%,d)",
                what,
                values,
                MAX_ARRAY_LENGTH));
      }
      bytes += values * 4;
    }
    long heap = Runtime.getRuntime().maxMemory();
    if (bytes > heap) {
      return Optional.of(
          String.format(
              Locale.ROOT,
              "its inputs and outputs take %s, more than the %s of heap this JVM may use (-Xmx)",
              gib(bytes),
              gib(heap)));
    }
    return Optional.empty();
  }

  private static String gib(double bytes) {
    return String.format(Locale.ROOT, "%.1f GiB", bytes / (1L << 30));
  }

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
   * @throws BatchTooLargeException if a batch's inputs cannot be held ({@link #checkBatchSizes})
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
    checkBatchSizes(settings.batchSizes(), data, shape, 0, pooling);
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
