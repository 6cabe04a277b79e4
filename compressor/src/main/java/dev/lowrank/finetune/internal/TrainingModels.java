package dev.lowrank.finetune.internal;

import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.SourceModel;
import dev.lowrank.linalg.LowRankFactors;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Loads teachers and students by the source's format: the one place that knows which formats can be
 * trained in Java.
 */
public final class TrainingModels {

  /** The formats DJL can train: DJL block models and TorchScript files. */
  public static final List<String> TRAINABLE = List.of("djl", "torchscript");

  private TrainingModels() {}

  /**
   * Checks that a format can be fine-tuned in Java.
   *
   * @param format the format's name
   * @throws IllegalArgumentException if it cannot, saying which formats can
   */
  public static void check(String format) {
    if (!TRAINABLE.contains(format)) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "%s models cannot be fine-tuned in Java (DJL trains DJL block models and TorchScript"
                  + " files only); compress it without fine-tuning, or fine-tune a TorchScript"
                  + " export of the model",
              format));
    }
  }

  /**
   * Loads the original model for its outputs.
   *
   * @param source the opened source model, still unchanged
   * @return the teacher, to be closed before the source
   * @throws ModelFileException if DJL cannot load the model
   */
  public static TrainingModel teacher(SourceModel source) throws ModelFileException {
    check(source.format().name());
    return source.format().name().equals("djl")
        ? DjlModels.teacher(source)
        : TorchScriptModels.teacher(source);
  }

  /**
   * Loads the model with the factors in place, only the factors trainable.
   *
   * @param source the opened source model, still unchanged
   * @param factors the starting factors of each factorized layer
   * @return the student, to be closed before the source
   * @throws ModelFileException if the model cannot be loaded with the factors
   * @throws IOException if a temporary copy cannot be written
   */
  public static TrainingModel student(SourceModel source, Map<String, LowRankFactors> factors)
      throws ModelFileException, IOException {
    check(source.format().name());
    return source.format().name().equals("djl")
        ? DjlModels.student(source, factors)
        : TorchScriptModels.student(source, factors);
  }
}
