package dev.lowrank.zoo;

import ai.djl.ndarray.types.Shape;
import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.eval.accuracy.Accuracy;
import dev.lowrank.eval.accuracy.Predictions;
import dev.lowrank.eval.model.InferenceModel;
import dev.lowrank.eval.model.InferenceSession;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.finetune.FinetuneSpec;
import dev.lowrank.io.InputFileException;
import dev.lowrank.io.TemporaryFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The second half of {@code lowrank demo}: the {@code mlp-digits} example (trained once, then
 * cached) compressed at several settings, each with its parameters and its test accuracy, and each
 * followed by the whitened truncation at the same weights (calibrated on the training split).
 */
public final class DigitsDemo {

  private DigitsDemo() {}

  /**
   * One row of the demo table.
   *
   * @param setting the policy, e.g. {@code energy 0.9}, or {@code original}
   * @param parameters the model's parameters
   * @param accuracy top-1 accuracy on the 360 test images
   * @param compression the compressor's report, absent for the original
   */
  public record Row(
      String setting,
      long parameters,
      double accuracy,
      java.util.Optional<CompressionResult> compression) {}

  /** The policies whose row is followed by a "+ fine-tune" row: the factors distilled. */
  public static final java.util.Set<RankPolicy> FINE_TUNED = java.util.Set.of(RankPolicy.rank(16));

  /**
   * Trains (or loads) mlp-digits and compresses it with each policy; each policy of {@link
   * #FINE_TUNED} gets a second row with its factors fine-tuned by distillation on the training
   * split.
   *
   * @param policies the settings to try
   * @return the original's row, then one row per policy
   * @throws IOException if the cache or a temporary directory cannot be written
   * @throws InputFileException if a model cannot be read back
   */
  public static List<Row> run(List<RankPolicy> policies) throws IOException, InputFileException {
    DjlExample example = Examples.djl("mlp-digits");
    Path model = ExampleTrainer.trainOrLoad(example);
    Dataset test = example.testData(Integer.MAX_VALUE);
    List<Row> rows = new ArrayList<>();
    rows.add(
        new Row(
            "original",
            Compressor.inspect(model).parameters(),
            accuracy(model, test, example.sampleShape()),
            java.util.Optional.empty()));
    Path work = TemporaryFiles.createDirectory("lowrank-demo");
    try {
      Calibration calibration = SameWeights.calibration(example);
      for (RankPolicy policy : policies) {
        Path out = work.resolve("mlp-" + rows.size());
        CompressionResult result =
            Compressor.compress(model, out, CompressionSpec.builder().setPolicy(policy).build());
        rows.add(
            new Row(
                policy.describe(),
                result.parametersCompressed(),
                accuracy(out, test, example.sampleShape()),
                java.util.Optional.of(result)));
        // The same weights, whitened on the training split.
        Path whitenedOut = work.resolve("mlp-" + rows.size());
        CompressionResult whitened =
            Compressor.compress(model, whitenedOut, SameWeights.whitened(result, calibration));
        rows.add(
            new Row(
                "  whitened",
                whitened.parametersCompressed(),
                accuracy(whitenedOut, test, example.sampleShape()),
                java.util.Optional.of(whitened)));
        if (FINE_TUNED.contains(policy)) {
          Path tuned = work.resolve("mlp-" + rows.size());
          FinetuneSpec finetune =
              FinetuneSpec.builder()
                  .setData(example.trainData(Integer.MAX_VALUE))
                  .optInputShape(SampleShape.of(example.sampleShape().getShape()))
                  .build();
          CompressionResult t =
              Compressor.compress(
                  model,
                  tuned,
                  CompressionSpec.builder().setPolicy(policy).optFinetune(finetune).build());
          rows.add(
              new Row(
                  policy.describe() + " + fine-tune",
                  t.parametersCompressed(),
                  accuracy(tuned, test, example.sampleShape()),
                  java.util.Optional.of(t)));
        }
      }
    } finally {
      TemporaryFiles.delete(work);
    }
    return rows;
  }

  /**
   * Returns the top-1 accuracy of a classifier model (DJL directory or TorchScript file) on labeled
   * data, through the eval module's inference.
   *
   * @param model the model
   * @param data the samples
   * @param sampleShape the shape of one input sample
   * @return the share of samples whose arg-max output is their label
   * @throws InputFileException if the model cannot be loaded or run, or a label is outside its
   *     outputs
   */
  public static double accuracy(Path model, Dataset data, Shape sampleShape)
      throws InputFileException {
    Dataset dataset = data.withName("accuracy");
    try (InferenceModel loaded = InferenceModel.load(model);
        InferenceSession session = loaded.newSession()) {
      Predictions p =
          Predictions.compute(
              session,
              dataset,
              SampleShape.of(sampleShape.getShape()),
              64,
              Progress.none(),
              "accuracy");
      return Accuracy.of(p, dataset).top1();
    }
  }
}
