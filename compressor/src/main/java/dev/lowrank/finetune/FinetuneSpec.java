package dev.lowrank.finetune;

import dev.lowrank.data.DataSource;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import java.util.Objects;
import java.util.Optional;

/**
 * How to fine-tune the factors after truncation: the data, the loss, and the training settings.
 * Immutable; build one with {@link #builder()}.
 *
 * <pre>{@code
 * FinetuneSpec finetune = FinetuneSpec.builder()
 *     .setData(DataSource.of(trainSplit))    // never the evaluation split
 *     .optEpochs(10)
 *     .build();
 * CompressionSpec spec = CompressionSpec.builder()
 *     .setPolicy(RankPolicy.rank(16)).optFinetune(finetune).build();
 * }</pre>
 *
 * <p>A part of the samples ({@link #heldOut()}) is held out: never trained on, it scores each
 * epoch, so that the best epoch is kept and the run stops early once {@link #patience()} epochs in
 * a row do not improve on it.
 */
public final class FinetuneSpec {

  /** The default number of epochs. */
  public static final int DEFAULT_EPOCHS = 10;

  /** The default Adam learning rate. */
  public static final float DEFAULT_LEARNING_RATE = 5e-4f;

  /** The default number of samples per step. */
  public static final int DEFAULT_BATCH_SIZE = 32;

  /** The default share of the samples held out. */
  public static final double DEFAULT_HELD_OUT = 0.1;

  /** The default number of epochs without improvement before stopping. */
  public static final int DEFAULT_PATIENCE = 3;

  /** The default softmax temperature of the {@code kl} loss. */
  public static final float DEFAULT_TEMPERATURE = 2f;

  private final DataSource data;
  private final int epochs;
  private final float learningRate;
  private final int batchSize;
  private final FinetuneLoss loss;
  private final double heldOut;
  private final int patience;
  private final float temperature;
  private final long seed;
  private final SampleShape inputShape;
  private final FinetuneProgress progress;

  private FinetuneSpec(Builder b) {
    this.data = b.data;
    this.epochs = b.epochs;
    this.learningRate = b.learningRate;
    this.batchSize = b.batchSize;
    this.loss = b.loss;
    this.heldOut = b.heldOut;
    this.patience = b.patience;
    this.temperature = b.temperature;
    this.seed = b.seed;
    this.inputShape = b.inputShape;
    this.progress = b.progress;
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
   * Returns where the samples come from.
   *
   * @return the data source
   */
  public DataSource data() {
    return data;
  }

  /**
   * Returns the most epochs to run.
   *
   * @return at least 1
   */
  public int epochs() {
    return epochs;
  }

  /**
   * Returns Adam's learning rate.
   *
   * @return a positive rate
   */
  public float learningRate() {
    return learningRate;
  }

  /**
   * Returns the samples per training step.
   *
   * @return at least 1
   */
  public int batchSize() {
    return batchSize;
  }

  /**
   * Returns the loss asked for; empty to choose by the model's output: {@link FinetuneLoss#KL} for
   * {@code [batch, classes]} outputs, {@link FinetuneLoss#COSINE} for per-token outputs.
   *
   * @return the loss, if one was set
   */
  public Optional<FinetuneLoss> loss() {
    return Optional.ofNullable(loss);
  }

  /**
   * Returns whether the data's labels are trained on (cross-entropy) instead of the original
   * model's outputs.
   *
   * @return {@code true} for {@link FinetuneLoss#CROSS_ENTROPY}
   */
  public boolean labels() {
    return loss == FinetuneLoss.CROSS_ENTROPY;
  }

  /**
   * Returns the share of the samples held out to score each epoch.
   *
   * @return a share in (0, 0.5]
   */
  public double heldOut() {
    return heldOut;
  }

  /**
   * Returns how many epochs in a row may fail to improve the held-out fidelity before the run
   * stops.
   *
   * @return at least 1
   */
  public int patience() {
    return patience;
  }

  /**
   * Returns the softmax temperature {@code T} of the {@link FinetuneLoss#KL} loss: both models'
   * outputs are divided by {@code T} before the softmax (softer targets carry more of the
   * original's ranking of the wrong classes), and the loss is scaled by {@code T^2}.
   *
   * @return a positive temperature
   */
  public float temperature() {
    return temperature;
  }

  /**
   * Returns the seed of the held-out split and of the order of the samples in each epoch.
   *
   * @return the seed
   */
  public long seed() {
    return seed;
  }

  /**
   * Returns the shape of one input sample, if set (else the model's stored shape, else the data's
   * own, else flat rows).
   *
   * @return the per-sample shape
   */
  public Optional<SampleShape> inputShape() {
    return Optional.ofNullable(inputShape);
  }

  /**
   * Returns the listener that hears each step (not a setting: it is not recorded).
   *
   * @return the listener
   */
  public FinetuneProgress progress() {
    return progress;
  }

  @Override
  public String toString() {
    return "FinetuneSpec[data="
        + data.path()
        + ", epochs="
        + epochs
        + ", lr="
        + learningRate
        + ", batch="
        + batchSize
        + ", loss="
        + (loss == null ? "auto" : loss.cliName())
        + ", heldOut="
        + heldOut
        + ", patience="
        + patience
        + ", temperature="
        + temperature
        + ", seed="
        + seed
        + "]";
  }

  /** Builds a {@link FinetuneSpec}: {@code set*} is required, {@code opt*} optional. */
  public static final class Builder {

    private DataSource data;
    private int epochs = DEFAULT_EPOCHS;
    private float learningRate = DEFAULT_LEARNING_RATE;
    private int batchSize = DEFAULT_BATCH_SIZE;
    private FinetuneLoss loss;
    private double heldOut = DEFAULT_HELD_OUT;
    private int patience = DEFAULT_PATIENCE;
    private float temperature = DEFAULT_TEMPERATURE;
    private long seed;
    private SampleShape inputShape;
    private FinetuneProgress progress = FinetuneProgress.none();

    private Builder() {}

    /**
     * Sets where the samples come from (required): a file read once the model's input shape is
     * known, or a data set in memory. Never the evaluation split.
     *
     * @param data the source
     * @return this builder
     */
    public Builder setData(DataSource data) {
      this.data = data;
      return this;
    }

    /**
     * Sets the samples from memory (required, or {@link #setData(DataSource)}).
     *
     * @param data the samples
     * @return this builder
     */
    public Builder setData(Dataset data) {
      return setData(DataSource.of(data));
    }

    /**
     * Sets the most epochs (default {@value #DEFAULT_EPOCHS}).
     *
     * @param epochs at least 1
     * @return this builder
     */
    public Builder optEpochs(int epochs) {
      this.epochs = epochs;
      return this;
    }

    /**
     * Sets Adam's learning rate (default {@value #DEFAULT_LEARNING_RATE}).
     *
     * @param learningRate a positive rate
     * @return this builder
     */
    public Builder optLearningRate(float learningRate) {
      this.learningRate = learningRate;
      return this;
    }

    /**
     * Sets the samples per step (default {@value #DEFAULT_BATCH_SIZE}).
     *
     * @param batchSize at least 1
     * @return this builder
     */
    public Builder optBatchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    /**
     * Sets the loss (default: by the model's output, see {@link FinetuneSpec#loss()}); {@link
     * FinetuneLoss#CROSS_ENTROPY} trains on the data's labels.
     *
     * @param loss the loss
     * @return this builder
     */
    public Builder optLoss(FinetuneLoss loss) {
      this.loss = Objects.requireNonNull(loss, "loss");
      return this;
    }

    /**
     * Trains on the data's labels by cross-entropy instead of distilling the original model (the
     * same as {@code optLoss(FinetuneLoss.CROSS_ENTROPY)}).
     *
     * @return this builder
     */
    public Builder optLabels() {
      return optLoss(FinetuneLoss.CROSS_ENTROPY);
    }

    /**
     * Sets the share of samples held out (default {@value #DEFAULT_HELD_OUT}); at least one sample
     * is held out and at least one trained on.
     *
     * @param share in (0, 0.5]
     * @return this builder
     */
    public Builder optHeldOut(double share) {
      this.heldOut = share;
      return this;
    }

    /**
     * Sets how many epochs without a held-out improvement end the run (default {@value
     * #DEFAULT_PATIENCE}).
     *
     * @param patience at least 1
     * @return this builder
     */
    public Builder optPatience(int patience) {
      this.patience = patience;
      return this;
    }

    /**
     * Sets the softmax temperature of the {@code kl} loss (default {@value #DEFAULT_TEMPERATURE}).
     *
     * @param temperature a positive temperature; 1 compares the plain softmax outputs
     * @return this builder
     */
    public Builder optTemperature(float temperature) {
      this.temperature = temperature;
      return this;
    }

    /**
     * Sets the seed of the split and shuffling (default 0).
     *
     * @param seed the seed
     * @return this builder
     */
    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Sets the shape of one input sample.
     *
     * @param shape e.g. {@code 1x8x8} for a CNN
     * @return this builder
     */
    public Builder optInputShape(SampleShape shape) {
      this.inputShape = Objects.requireNonNull(shape, "shape");
      return this;
    }

    /**
     * Sets the listener that hears each step (default: none).
     *
     * @param progress the listener
     * @return this builder
     */
    public Builder optProgress(FinetuneProgress progress) {
      this.progress = Objects.requireNonNull(progress, "progress");
      return this;
    }

    /**
     * Checks the settings and builds the spec.
     *
     * @return the spec
     * @throws IllegalArgumentException if the data is missing or a setting is out of range
     */
    public FinetuneSpec build() {
      if (data == null) {
        throw new IllegalArgumentException(
            "No fine-tuning data: call setData with samples that are not the evaluation split");
      }
      if (epochs < 1) {
        throw new IllegalArgumentException("fine-tuning epochs must be >= 1, got " + epochs);
      }
      if (!(learningRate > 0) || !Float.isFinite(learningRate)) {
        throw new IllegalArgumentException(
            "the fine-tuning learning rate must be a positive number, got " + learningRate);
      }
      if (batchSize < 1) {
        throw new IllegalArgumentException("the fine-tuning batch size must be >= 1");
      }
      if (!(heldOut > 0 && heldOut <= 0.5)) {
        throw new IllegalArgumentException(
            "the held-out share must be in (0, 0.5], got " + heldOut);
      }
      if (!(temperature > 0) || !Float.isFinite(temperature)) {
        throw new IllegalArgumentException(
            "the distillation temperature must be a positive number, got " + temperature);
      }
      if (patience < 1) {
        throw new IllegalArgumentException("the fine-tuning patience must be >= 1");
      }
      return new FinetuneSpec(this);
    }
  }
}
