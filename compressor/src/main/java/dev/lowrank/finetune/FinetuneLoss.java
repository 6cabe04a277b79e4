package dev.lowrank.finetune;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What fine-tuning minimizes. The distillation losses compare the compressed model's outputs with
 * the original model's on the same inputs; per-token outputs ({@code [batch, tokens, width]}) are
 * mean-pooled first, over the tokens the {@code attention_mask} input marks when there is one.
 */
public enum FinetuneLoss {

  /**
   * The Kullback-Leibler divergence of the compressed model's softmax from the original's: for
   * classifiers (the default for {@code [batch, classes]} outputs).
   */
  KL("kl"),

  /**
   * {@code 1 - cosine} of the pooled outputs: for embedding models (the default for per-token
   * outputs).
   */
  COSINE("cosine"),

  /** The mean squared difference of the pooled outputs. */
  MSE("mse"),

  /** Softmax cross-entropy on the data's labels instead of the original model's outputs. */
  CROSS_ENTROPY("cross-entropy");

  private final String cliName;

  FinetuneLoss(String cliName) {
    this.cliName = cliName;
  }

  /**
   * Returns the name the CLI and the manifest use.
   *
   * @return e.g. {@code kl}
   */
  public String cliName() {
    return cliName;
  }

  /**
   * Returns whether the loss compares with the original model (and so needs no labels).
   *
   * @return {@code true} for the distillation losses
   */
  public boolean distills() {
    return this != CROSS_ENTROPY;
  }

  /**
   * Parses a CLI name.
   *
   * @param name {@code kl}, {@code cosine}, {@code mse} or {@code cross-entropy}
   * @return the loss
   * @throws IllegalArgumentException for any other name, listing the names
   */
  public static FinetuneLoss parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (FinetuneLoss loss : values()) {
      if (loss.cliName.equals(n)) {
        return loss;
      }
    }
    throw new IllegalArgumentException(
        "unknown fine-tuning loss '"
            + name
            + "'; use one of "
            + Arrays.stream(values()).map(FinetuneLoss::cliName).collect(Collectors.joining(", ")));
  }
}
