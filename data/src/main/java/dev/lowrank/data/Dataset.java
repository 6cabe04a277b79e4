package dev.lowrank.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Collectors;

/**
 * Samples to evaluate (or calibrate) a model on, held in memory: one or more named input columns,
 * each a float32 or int64 array whose axis 0 is the sample axis, and, for a labeled set, one class
 * index per sample.
 *
 * <ul>
 *   <li><b>Feature rows</b> (CSV, {@code .npy}, an {@code .npz} with {@code x}, image folders): one
 *       float32 input named {@value #FEATURES_INPUT}, {@code featureCount()} values per sample
 *       (row-major, the C order of the sample's own shape). {@link #featureCount()}, {@link
 *       #features(int)} and {@link #copyRows} read them.
 *   <li><b>Named inputs</b> (an {@code .npz} whose arrays are named after a model's forward
 *       arguments, tokenized text): several inputs, int64 ones included, each with its per-sample
 *       shape. {@link #batch(int, int)} returns every input of a batch; {@link #forModelInputs}
 *       picks and orders them for a model.
 *   <li><b>Padded sequences</b> (tokenized text): axis 1 of every input is a token axis, padded to
 *       the longest sample of the set; each sample's own length is {@link #sequenceLength(int)},
 *       and a batch is cut to its longest sample.
 * </ul>
 *
 * <p>Immutable: the builder copies nothing but nobody else holds the arrays, and the accessors
 * copy. Read one from a file with {@link Datasets}, tokenize text with {@link TextData}, or build
 * one from memory:
 *
 * <pre>{@code
 * Dataset data = Dataset.builder().setName("digits-test")
 *     .setFeatures(rows).optLabels(labels).build();
 * Dataset tokens = Dataset.builder().setName("pairs")
 *     .addInput("input_ids", SampleShape.of(16), ids)
 *     .addInput("attention_mask", SampleShape.of(16), mask).build();
 * }</pre>
 */
public final class Dataset {

  /** The name of the single float input of a set of feature rows. */
  public static final String FEATURES_INPUT = "input";

  /**
   * One input column as a model sees it.
   *
   * @param name the model input it feeds (a forward argument's name), or {@value
   *     Dataset#FEATURES_INPUT} for feature rows
   * @param type float32 or int64
   * @param shape one sample's shape (for padded sequences, padded to the set's longest)
   * @param optional whether a model that does not take this input may leave it out (a tokenizer's
   *     {@code token_type_ids})
   */
  public record Input(String name, Tensor.Type type, SampleShape shape, boolean optional) {}

  private final String name;
  private final Path source;
  private final String format;
  private final List<Column> columns;
  private final int size;
  private final int[] lengths;
  private final int[] labels;
  private final SampleShape shape;
  private final List<String> classNames;
  private final int classCount;

  private Dataset(Builder b, List<Column> columns, int size) {
    this.name = b.name;
    this.source = b.source == null ? Path.of(b.name) : b.source;
    this.format = b.format;
    this.columns = List.copyOf(columns);
    this.size = size;
    this.lengths = b.lengths;
    this.labels = b.labels;
    this.shape = b.shape;
    this.classNames = b.classNames;
    this.classCount = b.classCount;
  }

  /** One input column: {@code size} samples of {@code width} values. */
  private record Column(Input input, int width, float[] floats, long[] longs) {

    boolean isFloat() {
      return floats != null;
    }

    Column selectRows(int[] rows) {
      float[] f = floats == null ? null : new float[Math.multiplyExact(rows.length, width)];
      long[] l = longs == null ? null : new long[Math.multiplyExact(rows.length, width)];
      for (int k = 0; k < rows.length; k++) {
        if (f != null) {
          System.arraycopy(floats, rows[k] * width, f, k * width, width);
        } else {
          System.arraycopy(longs, rows[k] * width, l, k * width, width);
        }
      }
      return new Column(input, width, f, l);
    }
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
   * images}, {@code text} or {@code memory}.
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
    return size;
  }

  /**
   * Returns the number of values per sample: for feature rows the row length; for named inputs the
   * sum over the inputs (padded sequences at their padded length).
   *
   * @return at least 1
   */
  public int featureCount() {
    int total = 0;
    for (Column c : columns) {
      total = Math.addExact(total, c.width);
    }
    return total;
  }

  /**
   * Returns whether the samples are feature rows: one float32 input and no padded sequences, the
   * kind {@link #features(int)}, {@link #copyRows} and {@link #flatFeatures()} read.
   *
   * @return {@code true} for feature rows
   */
  public boolean hasFeatureRows() {
    return columns.size() == 1 && columns.get(0).isFloat() && lengths == null;
  }

  /**
   * Returns the input columns, in the order batches list them.
   *
   * @return the inputs
   */
  public List<Input> inputs() {
    return columns.stream().map(Column::input).toList();
  }

  /**
   * Returns the input names, in the order batches list them.
   *
   * @return the names
   */
  public List<String> inputNames() {
    return columns.stream().map(c -> c.input.name()).toList();
  }

  /**
   * Returns whether axis 1 of every input is a padded token axis whose length varies by sample.
   *
   * @return {@code true} for padded sequences (tokenized text)
   */
  public boolean paddedSequences() {
    return lengths != null;
  }

  /**
   * Returns one sample's own sequence length (its tokens without padding), or the padded length
   * when the set holds no padded sequences.
   *
   * @param i the sample index
   * @return the length along axis 1 of the inputs
   */
  public int sequenceLength(int i) {
    if (lengths != null) {
      return lengths[i];
    }
    SampleShape s = columns.get(0).input.shape();
    return (int) s.dim(0);
  }

  /**
   * Returns the shape the samples have in their file (an {@code .npy} array's trailing dimensions,
   * or the shape images were converted to), empty when they are flat rows (CSV) or named inputs.
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
   * @throws IllegalStateException if the samples are not feature rows
   */
  public float[] flatFeatures() {
    return rowsColumn("flatFeatures").floats.clone();
  }

  /**
   * Returns the samples at the given positions, in that order.
   *
   * @param rows sample indices
   * @return a new data set
   */
  public Dataset select(int... rows) {
    Builder b = toBuilder();
    List<Column> selected = new ArrayList<>();
    for (Column c : columns) {
      selected.add(c.selectRows(rows));
    }
    if (lengths != null) {
      b.lengths = new int[rows.length];
      for (int k = 0; k < rows.length; k++) {
        b.lengths[k] = lengths[rows[k]];
      }
    }
    if (labels != null) {
      b.labels = new int[rows.length];
      for (int k = 0; k < rows.length; k++) {
        b.labels[k] = labels[rows[k]];
      }
    }
    b.columns = selected;
    return b.build();
  }

  /**
   * Returns the class names, by class index, when the source names them (image folders, text with
   * named labels).
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
   * @throws IllegalStateException if the samples are not feature rows
   */
  public float[] features(int i) {
    Column c = rowsColumn("features");
    return Arrays.copyOfRange(c.floats, i * c.width, (i + 1) * c.width);
  }

  /**
   * Copies consecutive samples into {@code target}, wrapping around to sample 0 past the end (so a
   * latency batch can be larger than the set).
   *
   * @param start the first sample
   * @param count how many samples
   * @param target an array of at least {@code count * featureCount()} values
   * @throws IllegalStateException if the samples are not feature rows
   */
  public void copyRows(int start, int count, float[] target) {
    Column c = rowsColumn("copyRows");
    for (int k = 0; k < count; k++) {
      int row = (start + k) % size;
      System.arraycopy(c.floats, row * c.width, target, k * c.width, c.width);
    }
  }

  /**
   * Returns consecutive samples as the inputs of one model batch (wrapping around to sample 0 past
   * the end, as {@link #copyRows} does).
   *
   * <p>Feature rows give one float32 tensor named {@value #FEATURES_INPUT} of shape {@code [count,
   * shape...]}. A set of named inputs gives every input, in {@link #inputNames()} order, at its own
   * shape, as {@link #batch(int, int)} does; {@code shape} then plays no part.
   *
   * @param start the first sample
   * @param count how many samples
   * @param shape the per-sample shape the model takes, of {@link #featureCount()} values (feature
   *     rows only)
   * @return the batch's input tensors, in the model's input order
   * @throws IllegalArgumentException if the shape does not hold {@link #featureCount()} values
   */
  public List<Tensor> batch(int start, int count, SampleShape shape) {
    if (!hasFeatureRows()) {
      return batch(start, count);
    }
    int width = columns.get(0).width;
    if (shape.size() != width) {
      throw new IllegalArgumentException(
          "Samples of "
              + name
              + " have "
              + width
              + " values; shape "
              + shape
              + " holds "
              + shape.size());
    }
    float[] values = new float[Math.multiplyExact(count, width)];
    copyRows(start, count, values);
    return List.of(Tensor.ofFloats(columns.get(0).input.name(), shape.withBatch(count), values));
  }

  /**
   * Returns consecutive samples as the inputs of one model batch, every input at its stored
   * per-sample shape (wrapping around to sample 0 past the end). For padded sequences the token
   * axis is cut to the longest sample of the batch.
   *
   * @param start the first sample
   * @param count how many samples, at least 1
   * @return one tensor per input, in {@link #inputNames()} order, the batch on axis 0
   */
  public List<Tensor> batch(int start, int count) {
    if (count < 1 || start < 0) {
      throw new IllegalArgumentException("A batch needs a start >= 0 and a count >= 1");
    }
    int keep = -1;
    if (lengths != null) {
      keep = 1;
      for (int k = 0; k < count; k++) {
        keep = Math.max(keep, lengths[(start + k) % size]);
      }
    }
    List<Tensor> out = new ArrayList<>(columns.size());
    for (Column c : columns) {
      long[] dims = c.input.shape().dims();
      int inner = c.width;
      int rowLength = c.width;
      if (keep > 0) {
        inner = (int) (c.width / dims[0]);
        dims[0] = keep;
        rowLength = keep * inner;
      }
      long[] batchShape = SampleShape.of(dims).withBatch(count);
      if (c.isFloat()) {
        float[] v = new float[Math.multiplyExact(count, rowLength)];
        for (int k = 0; k < count; k++) {
          System.arraycopy(c.floats, ((start + k) % size) * c.width, v, k * rowLength, rowLength);
        }
        out.add(Tensor.ofFloats(c.input.name(), batchShape, v));
      } else {
        long[] v = new long[Math.multiplyExact(count, rowLength)];
        for (int k = 0; k < count; k++) {
          System.arraycopy(c.longs, ((start + k) % size) * c.width, v, k * rowLength, rowLength);
        }
        out.add(Tensor.ofLongs(c.input.name(), batchShape, v));
      }
    }
    return out;
  }

  /**
   * Returns the inputs a model takes, in its order: each of {@code modelInputs} must be an input of
   * this set; inputs the model does not take are left out when they are {@linkplain
   * Input#optional() optional}, and refused otherwise. Feature rows feed a model of one input
   * whatever that input's name.
   *
   * @param modelInputs the model's forward arguments, in order
   * @return a data set holding exactly those inputs, in that order
   * @throws DataFileException naming the data's file when an input is missing or not the model's
   */
  public Dataset forModelInputs(List<String> modelInputs) throws DataFileException {
    if (modelInputs.isEmpty() || inputNames().equals(modelInputs)) {
      return this;
    }
    if (hasFeatureRows() && modelInputs.size() == 1) {
      return this;
    }
    Map<String, Column> byName = new LinkedHashMap<>();
    for (Column c : columns) {
      byName.put(c.input.name(), c);
    }
    List<Column> picked = new ArrayList<>();
    for (String m : modelInputs) {
      Column c = byName.remove(m);
      if (c == null) {
        throw new DataFileException(
            source,
            "holds no input '"
                + m
                + "' that the model takes (data inputs: "
                + String.join(", ", inputNames())
                + "; model inputs: "
                + String.join(", ", modelInputs)
                + ")");
      }
      picked.add(c);
    }
    List<String> extra =
        byName.values().stream()
            .filter(c -> !c.input.optional())
            .map(c -> c.input.name())
            .collect(Collectors.toList());
    if (!extra.isEmpty()) {
      throw new DataFileException(
          source,
          "input '"
              + extra.get(0)
              + "' is not an input of the model (model inputs: "
              + String.join(", ", modelInputs)
              + "); name the arrays after the model's forward arguments");
    }
    Builder b = toBuilder();
    b.columns = picked;
    return b.build();
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
    int[] rows = new int[n];
    for (int i = 0; i < n; i++) {
      rows[i] = i;
    }
    return select(rows);
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
   * labeled, 10 classes"} or {@code "texts.txt (text): 500 samples, inputs input_ids int64 128,
   * attention_mask int64 128, unlabeled"}.
   *
   * @return the description used in reports
   */
  public String describe() {
    String labelsText =
        labels == null ? "unlabeled" : "labeled, " + labelRange().getAsInt() + " classes";
    if (hasFeatureRows()) {
      return String.format(
          Locale.ROOT,
          "%s (%s): %d samples x %d features%s, %s",
          name,
          format,
          size(),
          featureCount(),
          shape == null ? "" : " (" + shape + ")",
          labelsText);
    }
    String inputsText =
        columns.stream()
            .map(
                c ->
                    c.input.name()
                        + " "
                        + c.input.type().name().toLowerCase(Locale.ROOT)
                        + " "
                        + c.input.shape())
            .collect(Collectors.joining(", "));
    return String.format(
        Locale.ROOT,
        "%s (%s): %d samples, inputs %s%s, %s",
        name,
        format,
        size(),
        inputsText,
        lengths == null ? "" : " (padded sequences)",
        labelsText);
  }

  @Override
  public String toString() {
    return "Dataset[" + describe() + "]";
  }

  private Column rowsColumn(String method) {
    if (!hasFeatureRows()) {
      throw new IllegalStateException(
          "The data set "
              + name
              + " holds named inputs ("
              + String.join(", ", inputNames())
              + "), not feature rows; use batch(start, count) instead of "
              + method);
    }
    return columns.get(0);
  }

  private Builder toBuilder() {
    Builder b = new Builder();
    b.name = name;
    b.source = source;
    b.format = format;
    b.columns = columns;
    b.lengths = lengths;
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
    private List<Column> columns = new ArrayList<>();
    private int[] lengths;
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
     * Sets the samples as feature rows (required, or {@link #setFeatures(float[], int)}, or
     * inputs); copied.
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
     * Sets the samples as one row-major array of feature rows (required, or {@link
     * #setFeatures(float[][])}, or inputs); not copied, so hand over an array nobody else changes.
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
     * Adds a float32 input column (instead of feature rows); not copied.
     *
     * @param name the model input it feeds
     * @param sampleShape one sample's shape
     * @param values {@code samples * sampleShape.size()} values, row-major
     * @return this builder
     */
    public Builder addInput(String name, SampleShape sampleShape, float[] values) {
      columns.add(
          new Column(
              new Input(name, Tensor.Type.FLOAT32, sampleShape, false),
              Math.toIntExact(sampleShape.size()),
              values,
              null));
      return this;
    }

    /**
     * Adds an int64 input column (token ids, masks; instead of feature rows); not copied.
     *
     * @param name the model input it feeds
     * @param sampleShape one sample's shape
     * @param values {@code samples * sampleShape.size()} values, row-major
     * @return this builder
     */
    public Builder addInput(String name, SampleShape sampleShape, long[] values) {
      return addInput(name, sampleShape, values, false);
    }

    /**
     * Adds an int64 input column that a model not taking it may leave out.
     *
     * @param name the model input it feeds
     * @param sampleShape one sample's shape
     * @param values {@code samples * sampleShape.size()} values, row-major
     * @param optional whether {@link Dataset#forModelInputs} may drop it
     * @return this builder
     */
    public Builder addInput(String name, SampleShape sampleShape, long[] values, boolean optional) {
      columns.add(
          new Column(
              new Input(name, Tensor.Type.INT64, sampleShape, optional),
              Math.toIntExact(sampleShape.size()),
              null,
              values));
      return this;
    }

    /**
     * Declares axis 1 of every input a padded token axis: sample {@code i} holds {@code lengths[i]}
     * tokens, the rest is padding; batches are cut to their longest sample. Not copied.
     *
     * @param lengths one length per sample, from 1 to the padded length
     * @return this builder
     */
    public Builder optSequenceLengths(int[] lengths) {
      this.lengths = lengths;
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
     * Sets the shape each sample of feature rows has in its source.
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
      List<Column> cols = columns;
      if (features != null) {
        if (!columns.isEmpty()) {
          throw new IllegalArgumentException(
              "Give the data set either feature rows (setFeatures) or named inputs (addInput)");
        }
        if (features.length == 0 || featureCount < 1) {
          throw new IllegalArgumentException("The data set " + name + " needs at least one sample");
        }
        if (features.length % featureCount != 0) {
          throw new IllegalArgumentException(
              features.length
                  + " values are not a whole number of "
                  + featureCount
                  + "-value rows");
        }
        cols =
            List.of(
                new Column(
                    new Input(
                        FEATURES_INPUT,
                        Tensor.Type.FLOAT32,
                        shape != null ? shape : SampleShape.flat(featureCount),
                        false),
                    featureCount,
                    features,
                    null));
      }
      if (cols.isEmpty()) {
        throw new IllegalArgumentException(
            "The data set " + name + " needs samples: setFeatures or addInput");
      }
      int n = -1;
      List<String> names = new ArrayList<>();
      for (Column c : cols) {
        if (names.contains(c.input.name())) {
          throw new IllegalArgumentException("Two inputs are named " + c.input.name());
        }
        names.add(c.input.name());
        int length = c.floats != null ? c.floats.length : c.longs.length;
        if (c.width < 1 || length % c.width != 0) {
          throw new IllegalArgumentException(
              "Input "
                  + c.input.name()
                  + ": "
                  + length
                  + " values are not a whole number of samples of shape "
                  + c.input.shape());
        }
        int rows = length / c.width;
        if (n >= 0 && rows != n) {
          throw new IllegalArgumentException(
              "Input " + c.input.name() + " holds " + rows + " samples, the first input " + n);
        }
        n = rows;
      }
      if (n < 1) {
        throw new IllegalArgumentException("The data set " + name + " needs at least one sample");
      }
      if (lengths != null) {
        if (lengths.length != n) {
          throw new IllegalArgumentException(n + " samples but " + lengths.length + " lengths");
        }
        for (Column c : cols) {
          if (c.input.shape().rank() < 1) {
            throw new IllegalArgumentException("Padded input " + c.input.name() + " has no axis");
          }
        }
        long padded = cols.get(0).input.shape().dim(0);
        for (int i = 0; i < n; i++) {
          if (lengths[i] < 1 || lengths[i] > padded) {
            throw new IllegalArgumentException(
                "Sample " + i + " has length " + lengths[i] + " outside 1.." + padded);
          }
        }
        for (Column c : cols) {
          if (c.input.shape().dim(0) != padded) {
            throw new IllegalArgumentException(
                "Padded inputs differ in length: " + c.input.name() + " " + c.input.shape());
          }
        }
      }
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
      if (shape != null && (cols.size() != 1 || shape.size() != cols.get(0).width)) {
        throw new IllegalArgumentException(
            "Shape " + shape + " holds " + shape.size() + " values, not " + cols.get(0).width);
      }
      return new Dataset(this, cols, n);
    }
  }
}
