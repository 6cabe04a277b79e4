package dev.lowrank.cli;

import dev.lowrank.zoo.minilm.MiniLmExample;
import dev.lowrank.zoo.minilm.MiniLmMethod;
import dev.lowrank.zoo.minilm.MiniLmSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The options of {@code lowrank zoo run minilm}, the text encoder: the shares of its encoder's
 * linear weights, the methods, how many texts of each part, and {@code --write}. A mixin of {@code
 * zoo run}; given with another example they are refused.
 */
public final class MiniLmOptions {

  @Option(
      names = "--ratios",
      split = ",",
      splitSynopsisLabel = ",",
      paramLabel = "X",
      description =
          "minilm: the shares of the encoder's linear weights, each in (0, 1) (default 0.5,0.3;"
              + " --ratio X for one).")
  List<Double> ratios;

  @Option(
      names = "--methods",
      split = ",",
      splitSynopsisLabel = ",",
      paramLabel = "M",
      description =
          "minilm: plain, whitened, global, sensitivity, sequential (default all, in this"
              + " order).")
  List<String> methods;

  @Option(
      names = "--calibration-samples",
      paramLabel = "N",
      description =
          "minilm: texts of the calibration part the data-aware methods use ("
              + MiniLmSettings.DEFAULT_CALIBRATION_TEXTS
              + ").")
  Integer calibrationTexts;

  @Option(
      names = "--sensitivity-samples",
      paramLabel = "N",
      description = "minilm: of those, the texts each sensitivity probe runs on (64).")
  Integer sensitivitySamples;

  @Option(
      names = "--pairs",
      paramLabel = "N",
      description =
          "minilm: subject -> body retrieval pairs of the test part"
              + " ("
              + MiniLmSettings.DEFAULT_EVALUATION_TEXTS
              + ").")
  Integer pairs;

  @Option(
      names = "--train-texts",
      paramLabel = "N",
      description =
          "minilm: texts of the train part the spam/ham head is fitted on"
              + " ("
              + MiniLmSettings.DEFAULT_EVALUATION_TEXTS
              + ").")
  Integer trainTexts;

  @Option(
      names = "--test-texts",
      paramLabel = "N",
      description =
          "minilm: texts of the test part the head is scored on"
              + " ("
              + MiniLmSettings.DEFAULT_EVALUATION_TEXTS
              + ").")
  Integer testTexts;

  @Option(
      names = "--write",
      paramLabel = "FILE",
      description =
          "minilm: also replace the table between its markers in FILE (README.md, whose section"
              + " on the real text encoder holds them).")
  Path write;

  /**
   * Returns the options that were given, by name.
   *
   * @return e.g. {@code [--pairs]}
   */
  List<String> given() {
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("--ratios", ratios);
    all.put("--methods", methods);
    all.put("--calibration-samples", calibrationTexts);
    all.put("--sensitivity-samples", sensitivitySamples);
    all.put("--pairs", pairs);
    all.put("--train-texts", trainTexts);
    all.put("--test-texts", testTexts);
    all.put("--write", write);
    List<String> out = new ArrayList<>();
    all.forEach(
        (name, value) -> {
          if (value != null) {
            out.add(name);
          }
        });
    return out;
  }

  /**
   * Refuses these options for an example other than {@code minilm}.
   *
   * @param example the example's name
   * @throws IllegalArgumentException naming the first option given
   */
  void rejectFor(String example) {
    List<String> given = given();
    if (!given.isEmpty()) {
      throw new IllegalArgumentException(
          given.get(0)
              + " applies to the "
              + MiniLmExample.NAME
              + " example only, not to "
              + example);
    }
  }

  /**
   * Returns the settings the options name, each checked as it is applied so that a bad value is
   * reported with its option.
   *
   * @param ratio {@code --ratio X}, one share, if given
   * @param batchSizes the batch sizes to time ({@code --batch-sizes}, or the example's 1 and 32
   *     when not given), empty for none
   * @return the settings
   * @throws IllegalArgumentException naming the option whose value is out of range
   */
  MiniLmSettings settings(Optional<Double> ratio, List<Integer> batchSizes) {
    if (ratio.isPresent() && ratios != null) {
      throw new IllegalArgumentException("--ratio: give either --ratio X or --ratios X,Y");
    }
    MiniLmSettings.Builder b =
        MiniLmSettings.builder()
            .optLatency(
                batchSizes.isEmpty()
                    ? Optional.empty()
                    : Optional.of(MiniLmSettings.defaultLatency(batchSizes)));
    if (ratio.isPresent()) {
      OptionErrors.named("--ratio", () -> b.optShares(List.of(ratio.get())).build());
    }
    if (ratios != null) {
      OptionErrors.named("--ratios", () -> b.optShares(ratios).build());
    }
    if (methods != null) {
      OptionErrors.named(
          "--methods", () -> b.optMethods(methods.stream().map(MiniLmMethod::of).toList()).build());
    }
    if (calibrationTexts != null) {
      OptionErrors.named(
          "--calibration-samples", () -> b.optCalibrationTexts(calibrationTexts).build());
    }
    if (sensitivitySamples != null) {
      OptionErrors.named(
          "--sensitivity-samples", () -> b.optSensitivitySamples(sensitivitySamples).build());
    }
    int p = pairs != null ? pairs : MiniLmSettings.DEFAULT_EVALUATION_TEXTS;
    int train = trainTexts != null ? trainTexts : MiniLmSettings.DEFAULT_EVALUATION_TEXTS;
    int test = testTexts != null ? testTexts : MiniLmSettings.DEFAULT_EVALUATION_TEXTS;
    OptionErrors.named("--pairs", () -> b.optEvaluationTexts(p, 2, 2).build());
    OptionErrors.named("--train-texts", () -> b.optEvaluationTexts(p, train, 2).build());
    OptionErrors.named("--test-texts", () -> b.optEvaluationTexts(p, train, test).build());
    return b.build();
  }
}
