package dev.lowrank.finetune;

import dev.lowrank.data.DataFileException;
import dev.lowrank.finetune.internal.FinetuneRun;
import dev.lowrank.finetune.internal.TrainingModels;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.SourceModel;
import dev.lowrank.linalg.LowRankFactors;
import java.io.IOException;
import java.util.Map;

/**
 * Fine-tunes the factors of a truncated model, a step between truncation and writing that works
 * with any factors: it trains each factorized layer's {@code B} and {@code A} through DJL's PyTorch
 * engine on CPU, everything else frozen, and returns the trained factors for the format to write.
 * The original model is the teacher; it is never changed.
 *
 * <pre>{@code
 * try (SourceModel model = ModelFormats.open(input)) {
 *   FinetuneOutcome tuned = Finetuner.finetune(model, truncatedFactors, finetuneSpec);
 *   model.write(output, tuned.factors(), manifest);
 * }
 * }</pre>
 *
 * <p>Most callers set {@code CompressionSpec.Builder.optFinetune} instead, and the compressor runs
 * this step. Formats DJL cannot train (anything but DJL block models and TorchScript files, ONNX
 * for instance) are refused.
 */
public final class Finetuner {

  private Finetuner() {}

  /**
   * Returns whether models of a format can be fine-tuned in Java.
   *
   * @param format a format's name, e.g. {@code torchscript}
   * @return {@code true} for {@code djl} and {@code torchscript}
   */
  public static boolean canTrain(String format) {
    return TrainingModels.TRAINABLE.contains(format);
  }

  /**
   * Refuses a format that cannot be fine-tuned in Java, before any work is done.
   *
   * @param format a format's name
   * @throws IllegalArgumentException if {@link #canTrain(String)} says no, saying why
   */
  public static void checkTrainable(String format) {
    TrainingModels.check(format);
  }

  /**
   * Trains the factors.
   *
   * @param model the opened original model (read, never changed)
   * @param factors the factors to start from, by layer name in model order (those the truncation
   *     produced)
   * @param spec the data and settings
   * @return the factors to write (the best epoch's, or the starting ones when no epoch beat them on
   *     the held-out samples) and the report
   * @throws ModelFileException if the model cannot be loaded for training
   * @throws DataFileException if the data cannot be used (missing, malformed, too small, unlabeled
   *     when training on labels, non-finite, or not fitting the model)
   * @throws IOException if a temporary file cannot be written
   * @throws IllegalArgumentException if the format cannot be trained in Java, {@code factors} is
   *     empty, the loss does not fit the model's output, or training diverges
   */
  public static FinetuneOutcome finetune(
      SourceModel model, Map<String, LowRankFactors> factors, FinetuneSpec spec)
      throws ModelFileException, DataFileException, IOException {
    return FinetuneRun.run(model, factors, spec);
  }
}
