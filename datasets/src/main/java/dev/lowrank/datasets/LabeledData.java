package dev.lowrank.datasets;

import java.util.Arrays;

/**
 * An immutable labeled data set held in memory: one feature row per sample and an integer class.
 *
 * <p>Rows are not copied on the way in; the accessors return copies, so an instance cannot be
 * changed after construction by its users.
 */
public final class LabeledData {

  private final float[][] features;
  private final int[] labels;
  private final int classes;

  /**
   * Creates a data set.
   *
   * @param features one row per sample, all of the same length
   * @param labels one class per sample, each in {@code [0, classes)}
   * @param classes the number of classes
   */
  public LabeledData(float[][] features, int[] labels, int classes) {
    if (features.length != labels.length) {
      throw new IllegalArgumentException(
          features.length + " feature rows but " + labels.length + " labels");
    }
    for (int i = 0; i < features.length; i++) {
      if (features[i].length != features[0].length) {
        throw new IllegalArgumentException("Row " + i + " has another length than row 0");
      }
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException(
            "Label " + labels[i] + " of row " + i + " is out of range");
      }
    }
    this.features = features;
    this.labels = labels;
    this.classes = classes;
  }

  /**
   * Returns the number of samples.
   *
   * @return the number of samples
   */
  public int size() {
    return labels.length;
  }

  /**
   * Returns the number of features per sample.
   *
   * @return the row length, 0 for an empty set
   */
  public int featureCount() {
    return features.length == 0 ? 0 : features[0].length;
  }

  /**
   * Returns the number of classes.
   *
   * @return the number of classes
   */
  public int classes() {
    return classes;
  }

  /**
   * Returns a copy of one sample's features.
   *
   * @param i the sample index
   * @return the features of sample {@code i}
   */
  public float[] features(int i) {
    return features[i].clone();
  }

  /**
   * Returns one sample's label.
   *
   * @param i the sample index
   * @return the class of sample {@code i}
   */
  public int label(int i) {
    return labels[i];
  }

  /**
   * Returns a copy of all labels.
   *
   * @return the labels in sample order
   */
  public int[] labels() {
    return labels.clone();
  }

  /**
   * Returns all features as one row-major array ({@code size() * featureCount()} values).
   *
   * @return the flattened feature matrix
   */
  public float[] flatFeatures() {
    int width = featureCount();
    float[] flat = new float[size() * width];
    for (int i = 0; i < features.length; i++) {
      System.arraycopy(features[i], 0, flat, i * width, width);
    }
    return flat;
  }

  /**
   * Returns the samples at the given positions, in that order.
   *
   * @param rows sample indices
   * @return a new data set
   */
  public LabeledData select(int... rows) {
    float[][] x = new float[rows.length][];
    int[] y = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      x[i] = features[rows[i]];
      y[i] = labels[rows[i]];
    }
    return new LabeledData(x, y, classes);
  }

  @Override
  public String toString() {
    return "LabeledData["
        + size()
        + " x "
        + featureCount()
        + ", "
        + classes
        + " classes, "
        + Arrays.stream(labels).distinct().count()
        + " present]";
  }
}
