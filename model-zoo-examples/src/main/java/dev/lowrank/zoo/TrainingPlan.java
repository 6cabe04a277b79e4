package dev.lowrank.zoo;

/**
 * How an example is trained.
 *
 * @param epochs passes over the training data
 * @param batchSize samples per step
 * @param learningRate Adam's learning rate
 * @param seed the seed of initialization and shuffling
 * @param trainSamples use at most this many training samples (tests use few)
 */
public record TrainingPlan(
    int epochs, int batchSize, float learningRate, int seed, int trainSamples) {

  /** Checks the values. */
  public TrainingPlan {
    if (epochs < 1 || batchSize < 1 || !(learningRate > 0) || trainSamples < 1) {
      throw new IllegalArgumentException(
          "epochs, batch size and samples must be >= 1 and the learning rate > 0");
    }
  }

  /**
   * A plan over all training samples.
   *
   * @param epochs passes over the training data
   * @param batchSize samples per step
   * @param learningRate Adam's learning rate
   * @param seed the seed
   */
  public TrainingPlan(int epochs, int batchSize, float learningRate, int seed) {
    this(epochs, batchSize, learningRate, seed, Integer.MAX_VALUE);
  }

  /**
   * Returns the key that identifies this plan in the training cache.
   *
   * @return a short stable string
   */
  public String cacheKey() {
    return "e"
        + epochs
        + "-b"
        + batchSize
        + "-lr"
        + learningRate
        + "-s"
        + seed
        + "-n"
        + trainSamples;
  }
}
