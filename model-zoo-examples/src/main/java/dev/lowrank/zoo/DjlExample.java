package dev.lowrank.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.BlockFactory;
import dev.lowrank.data.Dataset;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A zoo model built from DJL blocks by a {@link BlockFactory} and trained with DJL. Build one with
 * {@link #builder()}.
 */
public final class DjlExample implements Example {

  /** Reads a split of the example's data set. */
  @FunctionalInterface
  public interface DataLoader {
    /**
     * Reads samples.
     *
     * @param limit at most this many
     * @return the samples
     * @throws IOException if the data cannot be read or fetched
     */
    Dataset load(int limit) throws IOException;
  }

  private final String name;
  private final String description;
  private final String dataset;
  private final Class<? extends BlockFactory> factory;
  private final Map<String, String> arguments;
  private final Shape sampleShape;
  private final TrainingPlan plan;
  private final DataLoader train;
  private final DataLoader test;
  private final boolean conv;

  private DjlExample(Builder b) {
    this.name = b.name;
    this.description = b.description;
    this.dataset = b.dataset;
    this.factory = b.factory;
    this.arguments = Map.copyOf(b.arguments);
    this.sampleShape = b.sampleShape;
    this.plan = b.plan;
    this.train = b.train;
    this.test = b.test;
    this.conv = b.conv;
  }

  @Override
  public boolean compressesConvolutions() {
    return conv;
  }

  /**
   * Starts a builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public String dataset() {
    return dataset;
  }

  @Override
  public Shape sampleShape() {
    return sampleShape;
  }

  @Override
  public Dataset trainData(int limit) throws IOException {
    return train.load(limit);
  }

  @Override
  public Dataset testData(int limit) throws IOException {
    return test.load(limit);
  }

  @Override
  public Path model(Path cacheRoot) throws IOException {
    return model(plan, cacheRoot);
  }

  /**
   * Returns the model trained with a given plan (tests use short ones), from the cache if it was
   * trained before.
   *
   * @param plan the training plan
   * @param cacheRoot the cache root
   * @return the DJL model directory
   * @throws IOException if training, fetching data or writing the cache fails
   */
  public Path model(TrainingPlan plan, Path cacheRoot) throws IOException {
    return ExampleTrainer.trainOrLoad(this, plan, cacheRoot);
  }

  @Override
  public Optional<TrainingPlan> training() {
    return Optional.of(plan);
  }

  /**
   * Returns the factory that builds the model's blocks (named in its serving.properties).
   *
   * @return the block factory class
   */
  public Class<? extends BlockFactory> blockFactory() {
    return factory;
  }

  /**
   * Returns the arguments the factory reads from serving.properties, sorted by name.
   *
   * @return factory arguments
   */
  public Map<String, String> arguments() {
    return new TreeMap<>(arguments);
  }

  /** Builds a {@link DjlExample}; every {@code set*} is required, {@code opt*} optional. */
  public static final class Builder {
    private String name;
    private String description;
    private String dataset;
    private Class<? extends BlockFactory> factory;
    private Map<String, String> arguments;
    private Shape sampleShape;
    private TrainingPlan plan;
    private DataLoader train;
    private DataLoader test;
    private boolean conv;

    private Builder() {}

    /**
     * Sets whether the example's convolutions are compressed too (default false).
     *
     * @param conv {@code true} to compress with {@code --conv}
     * @return this builder
     */
    public Builder optConv(boolean conv) {
      this.conv = conv;
      return this;
    }

    /**
     * Sets the name, description and data set description.
     *
     * @param name e.g. {@code cnn-digits}
     * @param description the architecture in a line
     * @param dataset the data set and its origin
     * @return this builder
     */
    public Builder setNames(String name, String description, String dataset) {
      this.name = name;
      this.description = description;
      this.dataset = dataset;
      return this;
    }

    /**
     * Sets the block factory and its arguments.
     *
     * @param factory the factory class (public, with a public no-argument constructor)
     * @param arguments its serving.properties arguments
     * @return this builder
     */
    public Builder setFactory(
        Class<? extends BlockFactory> factory, Map<String, String> arguments) {
      this.factory = factory;
      this.arguments = arguments;
      return this;
    }

    /**
     * Sets the shape of one input sample.
     *
     * @param shape without the batch dimension
     * @return this builder
     */
    public Builder setSampleShape(Shape shape) {
      this.sampleShape = shape;
      return this;
    }

    /**
     * Sets the default training plan.
     *
     * @param plan the plan
     * @return this builder
     */
    public Builder setTraining(TrainingPlan plan) {
      this.plan = plan;
      return this;
    }

    /**
     * Sets the data.
     *
     * @param train reads training samples
     * @param test reads test samples
     * @return this builder
     */
    public Builder setData(DataLoader train, DataLoader test) {
      this.train = train;
      this.test = test;
      return this;
    }

    /**
     * Checks the settings and builds the example.
     *
     * @return the example
     * @throws IllegalArgumentException if a setting is missing
     */
    public DjlExample build() {
      if (name == null
          || factory == null
          || arguments == null
          || sampleShape == null
          || plan == null
          || train == null
          || test == null) {
        throw new IllegalArgumentException("A DJL example needs every set* call");
      }
      return new DjlExample(this);
    }
  }
}
