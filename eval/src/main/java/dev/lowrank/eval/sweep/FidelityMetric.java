package dev.lowrank.eval.sweep;

import java.util.Locale;

/** How closely a compressed model's outputs follow the original's, for models without labels. */
public enum FidelityMetric {
  /** The mean over samples of the cosine between the two models' output vectors. */
  COSINE,
  /** The share of samples on which both models' largest output is the same. */
  TOP1;

  /**
   * Returns the lower-case name the CLI uses.
   *
   * @return {@code cosine} or {@code top1}
   */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
