package dev.lowrank.eval.gate;

import dev.lowrank.data.DataFileException;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.eval.accuracy.Accuracy;
import dev.lowrank.eval.accuracy.AccuracyComparison;
import dev.lowrank.eval.accuracy.Fidelity;
import dev.lowrank.eval.accuracy.Predictions;
import dev.lowrank.eval.model.InferenceModel;
import dev.lowrank.eval.model.InferenceSession;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.io.InputFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Assertions for users' own tests: a compressed model must stay within an accuracy drop of its
 * original on a data set.
 *
 * <pre>{@code
 * @Test
 * void compressedModelKeepsItsAccuracy() throws Exception {
 *   Dataset test = Datasets.read(Path.of("src/test/resources/holdout.csv"));
 *   AccuracyGate.assertWithinDrop(Path.of("models/mlp"), Path.of("models/mlp-r16"), test, 0.01);
 * }
 * }</pre>
 */
public final class AccuracyGate {

  private static final int BATCH = 64;

  private AccuracyGate() {}

  /**
   * Asserts that the compressed model's top-1 accuracy drop (or, on unlabeled data, its top-1
   * disagreement with the original) is at most {@code maxDrop}.
   *
   * @param original the original model
   * @param compressed the compressed model
   * @param data the samples, fed with the original's stored input shape or flat
   * @param maxDrop the largest drop allowed, a fraction (0.01 = one percentage point)
   * @throws AssertionError with the accuracies and the drop, when past the limit
   * @throws InputFileException if a model or the data cannot be used
   */
  public static void assertWithinDrop(Path original, Path compressed, Dataset data, double maxDrop)
      throws InputFileException {
    GateVerdict verdict = check(original, compressed, data, maxDrop);
    if (!verdict.passed()) {
      throw new AssertionError(
          "compressed model "
              + compressed
              + " vs "
              + original
              + " on "
              + data.describe()
              + ": "
              + verdict.failures().get(0).message());
    }
  }

  /**
   * Checks the compressed model against the limit without throwing on failure.
   *
   * @param original the original model
   * @param compressed the compressed model
   * @param data the samples
   * @param maxDrop the largest drop allowed, a fraction
   * @return the verdict
   * @throws InputFileException if a model or the data cannot be used
   */
  public static GateVerdict check(Path original, Path compressed, Dataset data, double maxDrop)
      throws InputFileException {
    Gate.checkLimit(maxDrop);
    try (InferenceModel mo = InferenceModel.load(original);
        InferenceModel mc = InferenceModel.load(compressed)) {
      SampleShape shape = mo.storedInputShape().orElse(SampleShape.flat(data.featureCount()));
      if (shape.size() != data.featureCount()) {
        throw new DataFileException(
            data.source(),
            "shape mismatch: samples hold "
                + data.featureCount()
                + " values but the model takes "
                + shape);
      }
      Predictions po = predict(mo, data, shape);
      Predictions pc = predict(mc, data, shape);
      Optional<AccuracyComparison> accuracy = Optional.empty();
      if (data.labeled()) {
        accuracy =
            Optional.of(new AccuracyComparison(Accuracy.of(po, data), Accuracy.of(pc, data)));
      }
      return Gate.check(accuracy, Fidelity.of(po, pc), maxDrop);
    }
  }

  private static Predictions predict(InferenceModel model, Dataset data, SampleShape shape)
      throws InputFileException {
    try (InferenceSession session = model.newSession()) {
      return Predictions.compute(session, data, shape, BATCH, Progress.none(), "");
    }
  }
}
