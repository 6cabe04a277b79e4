package dev.lowrank.cli;

import dev.lowrank.eval.pooling.Pooling;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The {@code --pooling} option of the commands that compare a compressed model's outputs with the
 * original's ({@code eval}, {@code sweep}, and {@code compress}'s searches): for a text encoder
 * returning per-token states, the sentence embeddings that fidelity is measured on.
 */
public final class PoolingOptions {

  /** The option's name, as messages give it. */
  static final String OPTION = "--pooling";

  @Option(
      names = OPTION,
      paramLabel = "mean|cls",
      description =
          "For a text encoder returning per-token states: compare sentence embeddings, the mean"
              + " over the attention mask (or the first token), L2-normalized; fidelity is the"
              + " cosine of each text's embedding to the original's.")
  String pooling;

  /**
   * Returns whether {@code --pooling} was given.
   *
   * @return {@code true} when outputs are pooled
   */
  public boolean present() {
    return pooling != null;
  }

  /**
   * Checks the value before any work.
   *
   * @throws IllegalArgumentException naming the option if it is neither mean nor cls
   */
  void check() {
    pooling();
  }

  /**
   * Returns the pooling, if given.
   *
   * @return the pooling
   * @throws IllegalArgumentException naming the option if it is neither mean nor cls
   */
  public Optional<Pooling> pooling() {
    return pooling == null
        ? Optional.empty()
        : Optional.of(OptionErrors.named(OPTION, () -> Pooling.parse(pooling)));
  }
}
