package dev.lowrank.compress;

/** What the compressor did with a linear layer. */
public enum LayerStatus {
  /** The weight was replaced by two factors {@code B A}. */
  FACTORIZED,
  /** The layer kept its dense weight; {@link LayerResult#reason()} says why. */
  DENSE,
  /** The layer was already factorized in the input and was left as it was. */
  LOW_RANK_INPUT
}
