package dev.lowrank.data;

import java.util.Optional;

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
 * </ul>
 */
public final class DataOptions {

  /** The label column a CSV file is expected to have when none is named. */
  public static final String DEFAULT_LABEL_COLUMN = "label";

  private static final DataOptions DEFAULTS = builder().build();

  private final String labelColumn;
  private final boolean unlabeled;
  private final SampleShape imageShape;

  private DataOptions(Builder b) {
    this.labelColumn = b.labelColumn;
    this.unlabeled = b.unlabeled;
    this.imageShape = b.imageShape;
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
   * Returns a copy of these options with the image shape set, unless one is set already.
   *
   * @param shape the model's input shape
   * @return the options to read images for that model
   */
  public DataOptions withDefaultImageShape(SampleShape shape) {
    if (imageShape != null) {
      return this;
    }
    return builder()
        .optLabelColumn(labelColumn)
        .optUnlabeled(unlabeled)
        .optImageShape(shape)
        .build();
  }

  /** Builds {@link DataOptions}; every setting is optional. */
  public static final class Builder {

    private String labelColumn = DEFAULT_LABEL_COLUMN;
    private boolean unlabeled;
    private SampleShape imageShape;

    private Builder() {}

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
