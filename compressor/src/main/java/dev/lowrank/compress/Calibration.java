package dev.lowrank.compress;

import dev.lowrank.data.DataSource;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.data.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The calibration data of a data-aware compression: samples the model is run on to learn what its
 * layers' inputs look like. Immutable; build one with {@link #builder()}.
 *
 * <pre>{@code
 * Calibration calibration = Calibration.builder()
 *     .setData(DataSource.file(Path.of("calib.npz"), DataOptions.defaults()))
 *     .optSamples(256)
 *     .build();
 * CompressionSpec spec = CompressionSpec.builder()
 *     .setPolicy(RankPolicy.ratio(0.5))
 *     .optCalibration(calibration)          // whitened truncation by default
 *     .build();
 * }</pre>
 *
 * <p>The samples come from a data set (read by the data module's readers: CSV, {@code .npy}/{@code
 * .npz}, image folders) or, for models with several inputs or inputs prepared elsewhere, from
 * batches of named tensors ({@link Builder#setBatches}). Positions where the input named {@code
 * attention_mask} (or the one {@link Builder#optMask} names) is 0 are left out of every statistic.
 *
 * <p>One instance can serve several compressions of the same model (a sweep, a search): the
 * statistics it leads to are computed once and kept while memory allows.
 */
public final class Calibration {

  /** The samples used when no cap is given. */
  public static final int DEFAULT_SAMPLES = 512;

  /** The samples per forward pass when none is given. */
  public static final int DEFAULT_BATCH_SIZE = 32;

  /** The input whose zeros mark padding, when no other is named. */
  public static final String DEFAULT_MASK = "attention_mask";

  /** The samples a sensitivity allocation runs the model on when no other cap is given. */
  public static final int DEFAULT_SENSITIVITY_SAMPLES = 64;

  private final DataSource data;
  private final List<List<Tensor>> batches;
  private final int samples;
  private final int batchSize;
  private final Optional<String> mask;
  private final Optional<SampleShape> inputShape;
  private final int sensitivitySamples;

  private Calibration(Builder b) {
    this.data = b.data;
    this.batches = b.batches == null ? null : List.copyOf(b.batches);
    this.samples = b.samples;
    this.batchSize = b.batchSize;
    this.mask = Optional.ofNullable(b.mask);
    this.inputShape = Optional.ofNullable(b.inputShape);
    this.sensitivitySamples = b.sensitivitySamples;
  }

  /**
   * Starts a builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns where the samples come from, when they come from a data set.
   *
   * @return the data source, or empty for in-memory batches
   */
  public Optional<DataSource> data() {
    return Optional.ofNullable(data);
  }

  /**
   * Returns the in-memory batches, when the samples were given that way.
   *
   * @return the batches, each one tensor per model input, or empty
   */
  public Optional<List<List<Tensor>>> batches() {
    return Optional.ofNullable(batches);
  }

  /**
   * Returns the most samples used.
   *
   * @return the cap, at least 1
   */
  public int samples() {
    return samples;
  }

  /**
   * Returns the samples per forward pass.
   *
   * @return the batch size, at least 1
   */
  public int batchSize() {
    return batchSize;
  }

  /**
   * Returns the input named to mark padding, when one was named; without it, an input called
   * {@value #DEFAULT_MASK} is used when the model has one.
   *
   * @return the mask input's name, or empty
   */
  public Optional<String> mask() {
    return mask;
  }

  /**
   * Returns the per-sample input shape the samples are given to the model in, when set.
   *
   * @return the shape, or empty (then: the model's stored shape, else the data's, else flat rows)
   */
  public Optional<SampleShape> inputShape() {
    return inputShape;
  }

  /**
   * Returns the most samples a sensitivity allocation runs the model on per probe.
   *
   * @return the cap, at least 1
   */
  public int sensitivitySamples() {
    return sensitivitySamples;
  }

  /**
   * Returns a one-line description, e.g. {@code "calib.npz (at most 512 samples)"}.
   *
   * @return the description
   */
  public String describe() {
    String what =
        data != null
            ? data.path().toString()
            : batches.size() + " in-memory batch" + (batches.size() == 1 ? "" : "es");
    return what
        + " (at most "
        + samples
        + " samples"
        + mask.map(m -> ", mask " + m).orElse("")
        + ")";
  }

  @Override
  public String toString() {
    return "Calibration[" + describe() + "]";
  }

  /** Builds a {@link Calibration}: one {@code set*} is required, {@code opt*} optional. */
  public static final class Builder {

    private DataSource data;
    private List<List<Tensor>> batches;
    private int samples = DEFAULT_SAMPLES;
    private int batchSize = DEFAULT_BATCH_SIZE;
    private String mask;
    private SampleShape inputShape;
    private int sensitivitySamples = DEFAULT_SENSITIVITY_SAMPLES;

    private Builder() {}

    /**
     * Sets the data set to calibrate on (its labels, if any, are ignored).
     *
     * @param data where to read the samples
     * @return this builder
     */
    public Builder setData(DataSource data) {
      this.data = data;
      return this;
    }

    /**
     * Sets a data set in memory.
     *
     * @param data the samples
     * @return this builder
     */
    public Builder setData(Dataset data) {
      return setData(DataSource.of(data));
    }

    /**
     * Sets batches of named tensors instead of a data set: each batch holds one tensor per model
     * input (named after the input, e.g. {@code input_ids} and {@code attention_mask}), the samples
     * on axis 0.
     *
     * @param batches the batches, at least one
     * @return this builder
     */
    public Builder setBatches(List<List<Tensor>> batches) {
      List<List<Tensor>> copy = new ArrayList<>();
      for (List<Tensor> b : batches) {
        copy.add(List.copyOf(b));
      }
      this.batches = copy;
      return this;
    }

    /**
     * Caps the samples used (default {@value Calibration#DEFAULT_SAMPLES}).
     *
     * @param samples at least 1
     * @return this builder
     */
    public Builder optSamples(int samples) {
      this.samples = samples;
      return this;
    }

    /**
     * Sets the samples per forward pass (default {@value Calibration#DEFAULT_BATCH_SIZE}).
     *
     * @param batchSize at least 1
     * @return this builder
     */
    public Builder optBatchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    /**
     * Names the input whose zeros mark positions to leave out (default: {@value
     * Calibration#DEFAULT_MASK}, when the model has such an input).
     *
     * @param name a model input's name
     * @return this builder
     */
    public Builder optMask(String name) {
      this.mask = name;
      return this;
    }

    /**
     * Sets the per-sample input shape (default: the model's stored shape, else the data's own, else
     * flat rows).
     *
     * @param shape the shape
     * @return this builder
     */
    public Builder optInputShape(SampleShape shape) {
      this.inputShape = shape;
      return this;
    }

    /**
     * Caps the samples each sensitivity probe runs the model on (default {@value
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
     * Checks and builds the calibration.
     *
     * @return the calibration
     * @throws IllegalArgumentException if neither or both of data and batches are set, or a count
     *     is below 1
     */
    public Calibration build() {
      if ((data == null) == (batches == null)) {
        throw new IllegalArgumentException(
            "Give the calibration samples with exactly one of setData and setBatches");
      }
      if (batches != null && batches.isEmpty()) {
        throw new IllegalArgumentException("Give at least one calibration batch");
      }
      if (samples < 1 || batchSize < 1 || sensitivitySamples < 1) {
        throw new IllegalArgumentException(
            "Calibration samples, batch size and sensitivity samples must be at least 1");
      }
      if (mask != null && mask.isBlank()) {
        throw new IllegalArgumentException("The mask input's name must not be blank");
      }
      return new Calibration(this);
    }
  }
}
