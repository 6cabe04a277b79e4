package dev.lowrank.zoo;

/**
 * How an example is trained.
 *
 * @param epochs passes over the training data
 * @param batchSize samples per step
 * @param learningRate Adam's learning rate
 * @param seed the seed of initialization and shuffling
 */
public record TrainingPlan(int epochs, int batchSize, float learningRate, int seed) {

  /** Checks the values. */
  public TrainingPlan {
    if (epochs < 1 || batchSize < 1 || !(learningRate > 0)) {
      throw new IllegalArgumentException(
          "epochs and batch size must be >= 1 and the learning rate > 0");
    }
  }

  /**
   * Returns the key that identifies this plan in the training cache.
   *
   * @return a short stable string
   */
  public String cacheKey() {
    return "e" + epochs + "-b" + batchSize + "-lr" + learningRate + "-s" + seed;
  }
}
