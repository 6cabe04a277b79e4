package dev.lowrank.eval.accuracy;

import dev.lowrank.data.DataFileException;
import dev.lowrank.data.Dataset;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * How often a classifier is right on a labeled data set: top-1, and top-5 when it has at least 5
 * classes. Accuracies are fractions in [0, 1].
 *
 * @param samples the number of samples
 * @param top1Correct samples whose highest score is their label
 * @param top5Correct samples whose label is among their 5 highest scores, empty with fewer than 5
 *     classes
 */
public record Accuracy(int samples, int top1Correct, OptionalInt top5Correct) {

  /** The number of top scores the top-5 accuracy counts. */
  public static final int TOP5 = 5;

  /**
   * Returns the top-1 accuracy.
   *
   * @return {@code top1Correct / samples}, in [0, 1]
   */
  public double top1() {
    return (double) top1Correct / samples;
  }

  /**
   * Returns the top-5 accuracy.
   *
   * @return {@code top5Correct / samples}, or empty with fewer than 5 classes
   */
  public OptionalDouble top5() {
    return top5Correct.isPresent()
        ? OptionalDouble.of((double) top5Correct.getAsInt() / samples)
        : OptionalDouble.empty();
  }

  /**
   * Scores predictions against a data set's labels.
   *
   * @param predictions the model's scores for {@code data}
   * @param data a labeled data set
   * @return the accuracy
   * @throws DataFileException if a label is outside the model's outputs (class indices 0 to width -
   *     1)
   */
  public static Accuracy of(Predictions predictions, Dataset data) throws DataFileException {
    if (!data.labeled()) {
      throw new IllegalArgumentException("The data set " + data.name() + " has no labels");
    }
    checkLabels(data, predictions.width());
    int top1 = 0;
    int top5 = 0;
    boolean hasTop5 = predictions.width() >= TOP5;
    for (int i = 0; i < predictions.samples(); i++) {
      int label = data.label(i);
      if (predictions.argmax(i) == label) {
        top1++;
      }
      if (hasTop5 && predictions.inTopK(i, label, TOP5)) {
        top5++;
      }
    }
    return new Accuracy(
        predictions.samples(), top1, hasTop5 ? OptionalInt.of(top5) : OptionalInt.empty());
  }

  /**
   * Checks that every label is a valid output index of a model with {@code outputs} scores.
   *
   * @param data a labeled data set
   * @param outputs the model's output width
   * @throws DataFileException naming the data set's file and the first label out of range
   */
  public static void checkLabels(Dataset data, int outputs) throws DataFileException {
    for (int i = 0; i < data.size(); i++) {
      int label = data.label(i);
      if (label >= outputs) {
        throw new DataFileException(
            data.source(),
            "label "
                + label
                + " (sample "
                + i
                + ") is outside the model's range: it has "
                + outputs
                + " outputs, classes 0 to "
                + (outputs - 1));
      }
    }
  }
}
