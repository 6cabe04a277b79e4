package dev.lowrank.compress;

/** Whether a rank policy applies to each layer on its own or to the model as a whole. */
public enum Scope {
  /** Each layer gets the rank its own spectrum and shape call for. */
  LAYER,
  /**
   * One budget for all layers under the default policy: a {@code ratio} caps the factorized layers'
   * total weights at that share of their dense total, an {@code energy} asks that the layers' mean
   * kept energy share reaches the threshold. Ranks are given out greedily to the singular values
   * that keep the most energy (as a share of their layer's) per parameter spent. A fixed rank has
   * no global form.
   */
  GLOBAL
}
