package dev.lowrank.cli;

import dev.lowrank.eval.gate.Gate;
import java.util.OptionalDouble;
import picocli.CommandLine.Option;

/**
 * A rank policy or a search: one of {@code --rank}, {@code --ratio}, {@code --energy} (from {@link
 * PolicyChoice}) or {@code --max-accuracy-drop}, the smallest model within an accuracy drop. An
 * exclusive {@code @ArgGroup} of {@code compress} and {@code zoo run}.
 */
public final class SettingChoice extends PolicyChoice {

  @Option(
      names = "--max-accuracy-drop",
      paramLabel = "D",
      description =
          "Instead of --rank/--ratio/--energy: find the smallest model whose top-1 accuracy drop"
              + " stays within D (a fraction, 0.01 = one percentage point) and say which setting"
              + " it is. Exit 1 if no setting stays within D.")
  Double maxDrop;

  /**
   * Returns the accuracy drop to search within, if given.
   *
   * @return the limit, a fraction in [0, 1]
   * @throws IllegalArgumentException naming the option if the limit is out of range
   */
  public OptionalDouble maxAccuracyDrop() {
    if (maxDrop == null) {
      return OptionalDouble.empty();
    }
    double d = maxDrop;
    return OptionErrors.named(
        "--max-accuracy-drop",
        () -> {
          Gate.checkLimit(d);
          return OptionalDouble.of(d);
        });
  }
}
