package dev.lowrank.eval.latency;

import java.time.Duration;
import java.util.List;

/**
 * How latency is measured: the batch sizes, the warm-up, and when to stop measuring a batch size.
 * Immutable; build one with {@link #builder()} or take {@link #defaults()}.
 *
 * <p>Per batch size, after a warm-up of both models, rounds run each model once, alternating which
 * goes first, until both have run {@code minIterations} times and either the relative standard
 * error of both means is at most {@code targetRelativeError}, the {@code budget} is spent, or
 * {@code maxIterations} is reached.
 */
public final class LatencySettings {

  private static final LatencySettings DEFAULTS = builder().build();

  private final List<Integer> batchSizes;
  private final Duration warmup;
  private final int warmupIterations;
  private final Duration budget;
  private final int minIterations;
  private final int maxIterations;
  private final double targetRelativeError;

  private LatencySettings(Builder b) {
    this.batchSizes = List.copyOf(b.batchSizes);
    this.warmup = b.warmup;
    this.warmupIterations = b.warmupIterations;
    this.budget = b.budget;
    this.minIterations = b.minIterations;
    this.maxIterations = b.maxIterations;
    this.targetRelativeError = b.targetRelativeError;
  }

  /**
   * Returns the defaults: batch sizes 1, 8, 64; warm-up 0.3 s and at least 5 runs per model; a
   * budget of 2 s per batch size; 30 to 100,000 runs per model; target relative standard error 1%.
   *
   * @return the default settings
   */
  public static LatencySettings defaults() {
    return DEFAULTS;
  }

  /**
   * Starts a builder with the defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the batch sizes, in the order measured.
   *
   * @return the batch sizes
   */
  public List<Integer> batchSizes() {
    return batchSizes;
  }

  /**
   * Returns the warm-up time per batch size (both models together).
   *
   * @return the warm-up duration
   */
  public Duration warmup() {
    return warmup;
  }

  /**
   * Returns the least number of warm-up runs per model and batch size.
   *
   * @return the warm-up runs
   */
  public int warmupIterations() {
    return warmupIterations;
  }

  /**
   * Returns the measuring time per batch size (both models together).
   *
   * @return the budget
   */
  public Duration budget() {
    return budget;
  }

  /**
   * Returns the least number of timed runs per model and batch size.
   *
   * @return the minimum
   */
  public int minIterations() {
    return minIterations;
  }

  /**
   * Returns the most timed runs per model and batch size.
   *
   * @return the maximum
   */
  public int maxIterations() {
    return maxIterations;
  }

  /**
   * Returns the relative standard error of the mean at which measuring stops early.
   *
   * @return the target, e.g. 0.01
   */
  public double targetRelativeError() {
    return targetRelativeError;
  }

  /** Builds {@link LatencySettings}; every setting is optional. */
  public static final class Builder {

    private List<Integer> batchSizes = List.of(1, 8, 64);
    private Duration warmup = Duration.ofMillis(300);
    private int warmupIterations = 5;
    private Duration budget = Duration.ofSeconds(2);
    private int minIterations = 30;
    private int maxIterations = 100_000;
    private double targetRelativeError = 0.01;

    private Builder() {}

    /**
     * Sets the batch sizes (default 1, 8, 64).
     *
     * @param batchSizes positive sizes
     * @return this builder
     */
    public Builder optBatchSizes(List<Integer> batchSizes) {
      this.batchSizes = List.copyOf(batchSizes);
      return this;
    }

    /**
     * Sets the warm-up per batch size: at least {@code iterations} runs of each model, and runs
     * until {@code time} has passed.
     *
     * @param time the warm-up time (default 0.3 s)
     * @param iterations the least runs per model (default 5)
     * @return this builder
     */
    public Builder optWarmup(Duration time, int iterations) {
      this.warmup = time;
      this.warmupIterations = iterations;
      return this;
    }

    /**
     * Sets the measuring time per batch size (default 2 s).
     *
     * @param budget the time both models may take together
     * @return this builder
     */
    public Builder optBudget(Duration budget) {
      this.budget = budget;
      return this;
    }

    /**
     * Sets the least and most timed runs per model and batch size (default 30 and 100,000).
     *
     * @param min at least 1
     * @param max at least {@code min}
     * @return this builder
     */
    public Builder optIterations(int min, int max) {
      this.minIterations = min;
      this.maxIterations = max;
      return this;
    }

    /**
     * Sets the relative standard error of the mean at which to stop early (default 0.01).
     *
     * @param target a positive fraction; 0 to always use the whole budget
     * @return this builder
     */
    public Builder optTargetRelativeError(double target) {
      this.targetRelativeError = target;
      return this;
    }

    /**
     * Checks and builds the settings.
     *
     * @return the settings
     * @throws IllegalArgumentException if a value is out of range
     */
    public LatencySettings build() {
      if (batchSizes.isEmpty()) {
        throw new IllegalArgumentException("Give at least one batch size");
      }
      for (int b : batchSizes) {
        if (b < 1) {
          throw new IllegalArgumentException("Batch sizes must be positive, got " + b);
        }
      }
      if (warmup.isNegative() || warmupIterations < 0) {
        throw new IllegalArgumentException("The warm-up must not be negative");
      }
      if (budget.isNegative() || budget.isZero()) {
        throw new IllegalArgumentException("The latency budget must be positive, got " + budget);
      }
      if (minIterations < 1 || maxIterations < minIterations) {
        throw new IllegalArgumentException(
            "Iterations must satisfy 1 <= min <= max, got " + minIterations + ", " + maxIterations);
      }
      if (!(targetRelativeError >= 0)) {
        throw new IllegalArgumentException(
            "The target relative error must be >= 0, got " + targetRelativeError);
      }
      return new LatencySettings(this);
    }
  }
}
