package dev.lowrank.zoo.minilm;

import dev.lowrank.compress.Calibration;
import dev.lowrank.eval.latency.LatencySettings;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What the {@code minilm} example measures: the shares of the encoder's linear weights, the
 * methods, how many texts of each part it uses, and how latency is timed. Immutable; every setting
 * has a default ({@link #builder()}), the figures of the README's table.
 *
 * @param shares the shares of the encoder's linear weights, each in (0, 1), in table order
 * @param methods the methods, each once, in table order
 * @param calibrationTexts texts of the calibration part the data-aware methods calibrate on
 * @param sensitivitySamples of those, the texts each sensitivity probe runs on
 * @param pairs subject-to-body retrieval pairs of the test part
 * @param trainTexts texts of the train part the spam/ham head is fitted on
 * @param testTexts texts of the test part the head is scored on
 * @param latency how latency is timed, or empty for none
 */
public record MiniLmSettings(
    List<Double> shares,
    List<MiniLmMethod> methods,
    int calibrationTexts,
    int sensitivitySamples,
    int pairs,
    int trainTexts,
    int testTexts,
    Optional<LatencySettings> latency) {

  /** The default shares of the encoder's linear weights. */
  public static final List<Double> DEFAULT_SHARES = List.of(0.5, 0.3);

  /** The default calibration texts. */
  public static final int DEFAULT_CALIBRATION_TEXTS = 128;

  /** The default retrieval pairs, train and test texts. */
  public static final int DEFAULT_EVALUATION_TEXTS = 500;

  /** The default batch sizes timed. */
  public static final List<Integer> DEFAULT_BATCH_SIZES = List.of(1, 32);

  /** The least timed runs per model and batch size by default (a batch of 32 takes seconds). */
  public static final int DEFAULT_LATENCY_RUNS = 10;

  /** Checks the values. */
  public MiniLmSettings {
    shares = List.copyOf(shares);
    methods = List.copyOf(methods);
    if (shares.isEmpty()) {
      throw new IllegalArgumentException("Give at least one share of the encoder's weights");
    }
    for (double s : shares) {
      if (!(s > 0 && s < 1)) {
        throw new IllegalArgumentException(
            String.format(Locale.ROOT, "A share must be in (0, 1), got %s", s));
      }
    }
    if (shares.stream().distinct().count() != shares.size()) {
      throw new IllegalArgumentException("Each share once, got " + shares);
    }
    if (methods.isEmpty() || EnumSet.copyOf(methods).size() != methods.size()) {
      throw new IllegalArgumentException("Give each method once, at least one, got " + methods);
    }
    positive("calibration texts", calibrationTexts, 1);
    positive("sensitivity samples", sensitivitySamples, 1);
    positive("retrieval pairs", pairs, 2);
    positive("train texts", trainTexts, 2);
    positive("test texts", testTexts, 2);
    java.util.Objects.requireNonNull(latency, "latency");
  }

  private static void positive(String what, int value, int least) {
    if (value < least) {
      throw new IllegalArgumentException(
          "The " + what + " must be at least " + least + ", got " + value);
    }
  }

  /**
   * Starts a builder with the defaults: shares 0.5 and 0.3, every method, 128 calibration texts (64
   * of them per sensitivity probe), 500 retrieval pairs, 500 train and 500 test texts, latency at
   * batch 1 and 32 ({@link #defaultLatency(List)}).
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the default timing at some batch sizes: the eval module's defaults, except at least
   * {@value #DEFAULT_LATENCY_RUNS} runs per model and batch size instead of 30.
   *
   * @param batchSizes the batch sizes
   * @return the latency settings
   */
  public static LatencySettings defaultLatency(List<Integer> batchSizes) {
    return LatencySettings.builder()
        .optBatchSizes(batchSizes)
        .optIterations(DEFAULT_LATENCY_RUNS, LatencySettings.defaults().maxIterations())
        .build();
  }

  /**
   * Returns whether any method calibrates.
   *
   * @return {@code true} unless every method is {@link MiniLmMethod#PLAIN}
   */
  public boolean calibrated() {
    return methods.stream().anyMatch(MiniLmMethod::calibrated);
  }

  /** Builds {@link MiniLmSettings}; every setting is optional. */
  public static final class Builder {

    private List<Double> shares = DEFAULT_SHARES;
    private List<MiniLmMethod> methods = List.of(MiniLmMethod.values());
    private int calibrationTexts = DEFAULT_CALIBRATION_TEXTS;
    private int sensitivitySamples = Calibration.DEFAULT_SENSITIVITY_SAMPLES;
    private int pairs = DEFAULT_EVALUATION_TEXTS;
    private int trainTexts = DEFAULT_EVALUATION_TEXTS;
    private int testTexts = DEFAULT_EVALUATION_TEXTS;
    private Optional<LatencySettings> latency = Optional.of(defaultLatency(DEFAULT_BATCH_SIZES));

    private Builder() {}

    /**
     * Sets the shares of the encoder's linear weights (default 0.5, 0.3).
     *
     * @param shares each in (0, 1)
     * @return this builder
     */
    public Builder optShares(List<Double> shares) {
      this.shares = List.copyOf(shares);
      return this;
    }

    /**
     * Sets the methods (default all, in declaration order).
     *
     * @param methods each once
     * @return this builder
     */
    public Builder optMethods(List<MiniLmMethod> methods) {
      this.methods = List.copyOf(methods);
      return this;
    }

    /**
     * Sets the calibration texts (default {@value MiniLmSettings#DEFAULT_CALIBRATION_TEXTS}).
     *
     * @param texts at least 1
     * @return this builder
     */
    public Builder optCalibrationTexts(int texts) {
      this.calibrationTexts = texts;
      return this;
    }

    /**
     * Sets the texts each sensitivity probe runs on (default {@value
     * Calibration#DEFAULT_SENSITIVITY_SAMPLES}).
     *
     * @param samples at least 1
     * @return this builder
     */
    public Builder optSensitivitySamples(int samples) {
      this.sensitivitySamples = samples;
      return this;
    }

    /**
     * Sets the retrieval pairs, train and test texts (default {@value
     * MiniLmSettings#DEFAULT_EVALUATION_TEXTS} each).
     *
     * @param pairs retrieval pairs, at least 2
     * @param train texts the head is fitted on, at least 2
     * @param test texts the head is scored on, at least 2
     * @return this builder
     */
    public Builder optEvaluationTexts(int pairs, int train, int test) {
      this.pairs = pairs;
      this.trainTexts = train;
      this.testTexts = test;
      return this;
    }

    /**
     * Sets how latency is timed (default: batch 1 and 32, {@link
     * MiniLmSettings#defaultLatency(List)}).
     *
     * @param latency the settings, or empty to time nothing
     * @return this builder
     */
    public Builder optLatency(Optional<LatencySettings> latency) {
      this.latency = latency;
      return this;
    }

    /**
     * Checks and builds the settings.
     *
     * @return the settings
     * @throws IllegalArgumentException if a value is out of range
     */
    public MiniLmSettings build() {
      return new MiniLmSettings(
          shares,
          methods,
          calibrationTexts,
          Math.min(sensitivitySamples, calibrationTexts),
          pairs,
          trainTexts,
          testTexts,
          latency);
    }
  }
}
