package dev.lowrank.data;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How to read a data file: which CSV column holds the labels, whether labels are expected, and the
 * shape images are converted to. Immutable; build one with {@link #builder()}, or take {@link
 * #defaults()}.
 *
 * <ul>
 *   <li>CSV: the label column is {@value #DEFAULT_LABEL_COLUMN} unless set; it must exist unless
 *       {@link Builder#optUnlabeled()} is chosen (then every column is a feature).
 *   <li>{@code .npy}: features only, always unlabeled. {@code .npz}: {@code x}, and {@code y} when
 *       present (ignored when unlabeled is chosen).
 *   <li>Image folders: one sub-folder per class; images are converted to {@link #imageShape()}.
 *   <li>Text, when a {@link #tokenizer()} is given: one text per line, tokenized into {@code
 *       input_ids}, {@code attention_mask} and {@code token_type_ids} (see {@link TextData}), at
 *       most {@link #maxLength()} tokens each.
 * </ul>
 */
public final class DataOptions {

  /** The label column a CSV file is expected to have when none is named. */
  public static final String DEFAULT_LABEL_COLUMN = "label";

  private static final DataOptions DEFAULTS = builder().build();

  private final String labelColumn;
  private final boolean unlabeled;
  private final SampleShape imageShape;
  private final Path tokenizer;
  private final int maxLength;

  private DataOptions(Builder b) {
    this.labelColumn = b.labelColumn;
    this.unlabeled = b.unlabeled;
    this.imageShape = b.imageShape;
    this.tokenizer = b.tokenizer;
    this.maxLength = b.maxLength;
  }

  /**
   * Returns the default options: labels in column {@value #DEFAULT_LABEL_COLUMN}, images at their
   * own size.
   *
   * @return the defaults
   */
  public static DataOptions defaults() {
    return DEFAULTS;
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
   * Returns the CSV label column.
   *
   * @return the column name
   */
  public String labelColumn() {
    return labelColumn;
  }

  /**
   * Returns whether the data is read without labels (fidelity only).
   *
   * @return {@code true} when labels are neither expected nor read
   */
  public boolean unlabeled() {
    return unlabeled;
  }

  /**
   * Returns the shape images are converted to, empty to keep their own size (grayscale, flat).
   *
   * @return the target image shape
   */
  public Optional<SampleShape> imageShape() {
    return Optional.ofNullable(imageShape);
  }

  /**
   * Returns the Hugging Face {@code tokenizer.json} that turns a text file into token inputs.
   *
   * @return the tokenizer file, or empty when the data is not text
   */
  public Optional<Path> tokenizer() {
    return Optional.ofNullable(tokenizer);
  }

  /**
   * Returns the most tokens a text keeps (longer ones are truncated), empty for the tokenizer's own
   * limit (its truncation setting, e.g. 128 for all-MiniLM-L6-v2).
   *
   * @return the maximum sequence length
   */
  public OptionalInt maxLength() {
    return maxLength > 0 ? OptionalInt.of(maxLength) : OptionalInt.empty();
  }

  /**
   * Returns a copy of these options with the image shape set, unless one is set already.
   *
   * @param shape the model's input shape
   * @return the options to read images for that model
   */
  public DataOptions withDefaultImageShape(SampleShape shape) {
    if (imageShape != null) {
      return this;
    }
    Builder b = builder().optLabelColumn(labelColumn).optUnlabeled(unlabeled).optImageShape(shape);
    b.tokenizer = tokenizer;
    b.maxLength = maxLength;
    return b.build();
  }

  /** Builds {@link DataOptions}; every setting is optional. */
  public static final class Builder {

    private String labelColumn = DEFAULT_LABEL_COLUMN;
    private boolean unlabeled;
    private SampleShape imageShape;
    private Path tokenizer;
    private int maxLength;

    private Builder() {}

    /**
     * Reads the data as text, one text per line ({@code label<TAB>text} in a {@code .tsv} file),
     * tokenized with a Hugging Face {@code tokenizer.json}.
     *
     * @param tokenizer the tokenizer file
     * @return this builder
     */
    public Builder optTokenizer(Path tokenizer) {
      this.tokenizer = tokenizer;
      return this;
    }

    /**
     * Sets the most tokens a text keeps (default: the tokenizer's own truncation length).
     *
     * @param maxLength at least 2 (room for the tokenizer's start and end tokens)
     * @return this builder
     */
    public Builder optMaxLength(int maxLength) {
      if (maxLength < 2) {
        throw new IllegalArgumentException(
            "The maximum sequence length must be at least 2, got " + maxLength);
      }
      this.maxLength = maxLength;
      return this;
    }

    /**
     * Sets the CSV label column (default {@value DataOptions#DEFAULT_LABEL_COLUMN}).
     *
     * @param name the column's header
     * @return this builder
     */
    public Builder optLabelColumn(String name) {
      this.labelColumn = name;
      return this;
    }

    /**
     * Reads the data without labels: CSV columns are all features, an {@code .npz}'s {@code y} is
     * ignored, and the evaluation measures fidelity only.
     *
     * @return this builder
     */
    public Builder optUnlabeled() {
      return optUnlabeled(true);
    }

    /**
     * Sets whether the data is read without labels.
     *
     * @param unlabeled {@code true} to ignore labels
     * @return this builder
     */
    public Builder optUnlabeled(boolean unlabeled) {
      this.unlabeled = unlabeled;
      return this;
    }

    /**
     * Sets the shape images are converted to: {@code CxHxW} with C 1 (grayscale) or 3 (RGB), {@code
     * HxW} (grayscale), or {@code N} with N a square (grayscale, flattened).
     *
     * @param shape the target shape
     * @return this builder
     */
    public Builder optImageShape(SampleShape shape) {
      this.imageShape = shape;
      return this;
    }

    /**
     * Checks and builds the options.
     *
     * @return the options
     * @throws IllegalArgumentException if the label column is blank
     */
    public DataOptions build() {
      if (labelColumn == null || labelColumn.isBlank()) {
        throw new IllegalArgumentException("The label column name must not be blank");
      }
      return new DataOptions(this);
    }
  }
}
