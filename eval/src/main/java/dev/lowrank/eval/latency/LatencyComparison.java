package dev.lowrank.eval.latency;

/**
 * Latency of the original and the compressed model at one batch size, measured in the same
 * interleaved run.
 *
 * @param batchSize samples per batch
 * @param original the original model's figures
 * @param compressed the compressed model's figures
 */
public record LatencyComparison(int batchSize, LatencyStats original, LatencyStats compressed) {

  /**
   * Returns the speedup of the compressed model, by median: {@code original.p50 / compressed.p50};
   * above 1 means the compressed model is faster.
   *
   * @return the speedup
   */
  public double speedup() {
    return original.p50Ms() / compressed.p50Ms();
  }
}
