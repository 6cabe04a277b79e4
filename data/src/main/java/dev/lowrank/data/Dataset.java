package dev.lowrank.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Samples to evaluate a model on, held in memory: {@code size()} rows of {@code featureCount()}
 * float values (row-major, the C order of the sample's own shape) and, for a labeled set, one class
 * index per sample.
 *
 * <p>Immutable: the builder copies nothing but nobody else holds the arrays, and the accessors
 * copy. Read one from a file with {@link Datasets}, or build one from memory:
 *
 * <pre>{@code
 * Dataset data = Dataset.builder().setName("digits-test")
 *     .setFeatures(rows).optLabels(labels).build();
 * }</pre>
 */
public final class Dataset {

  private final String name;
  private final Path source;
  private final String format;
  private final float[] features;
  private final int featureCount;
  private final int[] labels;
  private final SampleShape shape;
  private final List<String> classNames;
  private final int classCount;

  private Dataset(Builder b) {
    this.name = b.name;
    this.source = b.source == null ? Path.of(b.name) : b.source;
    this.format = b.format;
    this.features = b.features;
    this.featureCount = b.featureCount;
    this.labels = b.labels;
    this.shape = b.shape;
    this.classNames = b.classNames;
    this.classCount = b.classCount;
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
   * Returns the short name: the file name, or the name given to an in-memory set.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the file or directory the samples were read from (for an in-memory set, its name as a
   * path), which error messages about the data name.
   *
   * @return the source path
   */
  public Path source() {
    return source;
  }

  /**
   * Returns the format the samples were read from: {@code csv}, {@code npy}, {@code npz}, {@code
   * images} or {@code memory}.
   *
   * @return the format name
   */
  public String format() {
    return format;
  }

  /**
   * Returns the number of samples.
   *
   * @return at least 1
   */
  public int size() {
    return features.length / featureCount;
  }

  /**
   * Returns the number of values per sample.
   *
   * @return at least 1
   */
  public int featureCount() {
    return featureCount;
  }

  /**
   * Returns the shape the samples have in their file (an {@code .npy} array's trailing dimensions,
   * or the shape images were converted to), empty when they are flat rows (CSV).
   *
   * @return the stored sample shape
   */
  public Optional<SampleShape> shape() {
    return Optional.ofNullable(shape);
  }

  /**
   * Returns whether every sample has a label.
   *
   * @return {@code true} for a labeled set
   */
  public boolean labeled() {
    return labels != null;
  }

  /**
   * Returns a copy of the labels.
   *
   * @return the labels in sample order, empty for an unlabeled set
   */
  public Optional<int[]> labels() {
    return labels == null ? Optional.empty() : Optional.of(labels.clone());
  }

  /**
   * Returns one sample's label.
   *
   * @param i the sample index
   * @return its class index
   * @throws IllegalStateException if the set is unlabeled
   */
  public int label(int i) {
    if (labels == null) {
      throw new IllegalStateException("The data set " + name + " has no labels");
    }
    return labels[i];
  }

  /**
   * Returns the largest label plus one, empty for an unlabeled set.
   *
   * @return the number of classes the labels use
   */
  public OptionalInt labelRange() {
    if (labels == null) {
      return OptionalInt.empty();
    }
    return OptionalInt.of(Arrays.stream(labels).max().orElse(-1) + 1);
  }

  /**
   * Returns the number of classes: the one the source declares (a data set of ten digits has ten
   * classes even if a sample holds only some of them), else the largest label plus one; empty for
   * an unlabeled set.
   *
   * @return the class count
   */
  public OptionalInt classCount() {
    if (labels == null) {
      return OptionalInt.empty();
    }
    return classCount > 0 ? OptionalInt.of(classCount) : labelRange();
  }

  /**
   * Returns a copy of every sample's values, one row after another.
   *
   * @return {@code size() * featureCount()} values
   */
  public float[] flatFeatures() {
    return features.clone();
  }

  /**
   * Returns the samples at the given positions, in that order.
   *
   * @param rows sample indices
   * @return a new data set
   */
  public Dataset select(int... rows) {
    Builder b = toBuilder();
    b.features = new float[Math.multiplyExact(rows.length, featureCount)];
    for (int k = 0; k < rows.length; k++) {
      System.arraycopy(
          features, rows[k] * featureCount, b.features, k * featureCount, featureCount);
    }
    if (labels != null) {
      b.labels = new int[rows.length];
      for (int k = 0; k < rows.length; k++) {
        b.labels[k] = labels[rows[k]];
      }
    }
    return b.build();
  }

  /**
   * Returns the class names, by class index, when the source names them (image folders).
   *
   * @return the names, or empty
   */
  public Optional<List<String>> classNames() {
    return Optional.ofNullable(classNames);
  }

  /**
   * Returns a copy of one sample's values.
   *
   * @param i the sample index
   * @return {@link #featureCount()} values
   */
  public float[] features(int i) {
    return Arrays.copyOfRange(features, i * featureCount, (i + 1) * featureCount);
  }

  /**
   * Copies consecutive samples into {@code target}, wrapping around to sample 0 past the end (so a
   * latency batch can be larger than the set).
   *
   * @param start the first sample
   * @param count how many samples
   * @param target an array of at least {@code count * featureCount()} values
   */
  public void copyRows(int start, int count, float[] target) {
    int n = size();
    for (int k = 0; k < count; k++) {
      int row = (start + k) % n;
      System.arraycopy(features, row * featureCount, target, k * featureCount, featureCount);
    }
  }

  /**
   * Returns consecutive samples as the inputs of one model batch (wrapping around to sample 0 past
   * the end, as {@link #copyRows} does): one float32 tensor named {@code input} of shape {@code
   * [count, shape...]}.
   *
   * @param start the first sample
   * @param count how many samples
   * @param shape the per-sample shape the model takes, of {@link #featureCount()} values
   * @return the batch's input tensors, in the model's input order
   * @throws IllegalArgumentException if the shape does not hold {@link #featureCount()} values
   */
  public List<Tensor> batch(int start, int count, SampleShape shape) {
    if (shape.size() != featureCount) {
      throw new IllegalArgumentException(
          "Samples of "
              + name
              + " have "
              + featureCount
              + " values; shape "
              + shape
              + " holds "
              + shape.size());
    }
    float[] values = new float[Math.multiplyExact(count, featureCount)];
    copyRows(start, count, values);
    return List.of(Tensor.ofFloats("input", shape.withBatch(count), values));
  }

  /**
   * Returns the first {@code n} samples (all of them when {@code n >= size()}).
   *
   * @param n how many samples to keep, at least 1
   * @return a new data set
   */
  public Dataset first(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("Keep at least one sample, got " + n);
    }
    if (n >= size()) {
      return this;
    }
    Builder b = toBuilder();
    b.features = Arrays.copyOf(features, n * featureCount);
    b.labels = labels == null ? null : Arrays.copyOf(labels, n);
    return b.build();
  }

  /**
   * Returns the same samples under another name (reports and error messages name the data by it).
   *
   * @param newName the name, e.g. {@code digits test split}
   * @return a data set sharing this one's samples
   */
  public Dataset withName(String newName) {
    Builder b = toBuilder();
    b.name = newName;
    b.source = Path.of(newName);
    return b.build();
  }

  /**
   * Returns the same samples without their labels (for a fidelity-only evaluation).
   *
   * @return an unlabeled data set
   */
  public Dataset withoutLabels() {
    Builder b = toBuilder();
    b.labels = null;
    return b.build();
  }

  /**
   * Returns a one-line description, e.g. {@code "test.csv (csv): 360 samples x 64 features,
   * labeled, 10 classes"}.
   *
   * @return the description used in reports
   */
  public String describe() {
    String labelsText =
        labels == null ? "unlabeled" : "labeled, " + labelRange().getAsInt() + " classes";
    return String.format(
        Locale.ROOT,
        "%s (%s): %d samples x %d features%s, %s",
        name,
        format,
        size(),
        featureCount,
        shape == null ? "" : " (" + shape + ")",
        labelsText);
  }

  @Override
  public String toString() {
    return "Dataset[" + describe() + "]";
  }

  private Builder toBuilder() {
    Builder b = new Builder();
    b.name = name;
    b.source = source;
    b.format = format;
    b.features = features;
    b.featureCount = featureCount;
    b.labels = labels;
    b.shape = shape;
    b.classNames = classNames;
    b.classCount = classCount;
    return b;
  }

  /** Builds a {@link Dataset}: {@code set*} is required, {@code opt*} optional. */
  public static final class Builder {

    private String name;
    private Path source;
    private String format = "memory";
    private float[] features;
    private int featureCount;
    private int[] labels;
    private SampleShape shape;
    private List<String> classNames;
    private int classCount;

    private Builder() {}

    /**
     * Sets the name (required).
     *
     * @param name e.g. the file name
     * @return this builder
     */
    public Builder setName(String name) {
      this.name = name;
      return this;
    }

    /**
     * Sets the samples as rows (required, or {@link #setFeatures(float[], int)}); copied.
     *
     * @param rows one row per sample, all of the same length
     * @return this builder
     */
    public Builder setFeatures(float[][] rows) {
      if (rows.length == 0) {
        this.features = new float[0];
        this.featureCount = 0;
        return this;
      }
      int width = rows[0].length;
      float[] flat = new float[Math.multiplyExact(rows.length, width)];
      for (int i = 0; i < rows.length; i++) {
        if (rows[i].length != width) {
          throw new IllegalArgumentException(
              "Row " + i + " has " + rows[i].length + " values, row 0 has " + width);
        }
        System.arraycopy(rows[i], 0, flat, i * width, width);
      }
      this.features = flat;
      this.featureCount = width;
      return this;
    }

    /**
     * Sets the samples as one row-major array (required, or {@link #setFeatures(float[][])}); not
     * copied, so hand over an array nobody else changes.
     *
     * @param flat {@code samples * featureCount} values
     * @param featureCount values per sample
     * @return this builder
     */
    public Builder setFeatures(float[] flat, int featureCount) {
      this.features = flat;
      this.featureCount = featureCount;
      return this;
    }

    /**
     * Sets one label per sample (class indices from 0); not copied.
     *
     * @param labels the labels
     * @return this builder
     */
    public Builder optLabels(int[] labels) {
      this.labels = labels;
      return this;
    }

    /**
     * Sets the file the samples came from (default: the name as a path).
     *
     * @param source the file
     * @return this builder
     */
    public Builder optSource(Path source) {
      this.source = source;
      return this;
    }

    /**
     * Sets the format name (default {@code memory}).
     *
     * @param format e.g. {@code csv}
     * @return this builder
     */
    public Builder optFormat(String format) {
      this.format = format;
      return this;
    }

    /**
     * Sets the shape each sample has in its source.
     *
     * @param shape a shape of {@code featureCount} values
     * @return this builder
     */
    public Builder optShape(SampleShape shape) {
      this.shape = shape;
      return this;
    }

    /**
     * Sets the class names by class index.
     *
     * @param classNames the names
     * @return this builder
     */
    public Builder optClassNames(List<String> classNames) {
      this.classNames = List.copyOf(classNames);
      return this;
    }

    /**
     * Sets the number of classes the labels are drawn from (default: the largest label plus one).
     *
     * @param classCount at least the largest label plus one
     * @return this builder
     */
    public Builder optClassCount(int classCount) {
      this.classCount = classCount;
      return this;
    }

    /**
     * Checks the parts and builds the data set.
     *
     * @return the data set
     * @throws IllegalArgumentException if there is no sample, a count does not match, or a label is
     *     negative
     */
    public Dataset build() {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("Give the data set a name with setName");
      }
      if (features == null || features.length == 0 || featureCount < 1) {
        throw new IllegalArgumentException("The data set " + name + " needs at least one sample");
      }
      if (features.length % featureCount != 0) {
        throw new IllegalArgumentException(
            features.length + " values are not a whole number of " + featureCount + "-value rows");
      }
      int n = features.length / featureCount;
      if (labels != null) {
        if (labels.length != n) {
          throw new IllegalArgumentException(n + " samples but " + labels.length + " labels");
        }
        for (int i = 0; i < n; i++) {
          if (labels[i] < 0) {
            throw new IllegalArgumentException(
                "Label " + labels[i] + " of sample " + i + " is negative");
          }
        }
      }
      if (classCount > 0 && labels != null) {
        for (int label : labels) {
          if (label >= classCount) {
            throw new IllegalArgumentException(
                "Label " + label + " is outside the " + classCount + " classes");
          }
        }
      }
      if (shape != null && shape.size() != featureCount) {
        throw new IllegalArgumentException(
            "Shape " + shape + " holds " + shape.size() + " values, not " + featureCount);
      }
      return new Dataset(this);
    }
  }
}
