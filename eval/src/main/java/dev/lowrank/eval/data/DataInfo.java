package dev.lowrank.eval.data;

import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import java.util.OptionalInt;

/**
 * The data an evaluation ran on, as a report describes it.
 *
 * @param name the file name (or in-memory name)
 * @param path the file or folder
 * @param format {@code csv}, {@code npy}, {@code npz}, {@code images} or {@code memory}
 * @param samples the number of samples
 * @param features values per sample
 * @param inputShape the per-sample shape fed to the models
 * @param labeled whether the samples have labels
 * @param classes the label range (largest label + 1), empty when unlabeled
 */
public record DataInfo(
    String name,
    String path,
    String format,
    int samples,
    int features,
    SampleShape inputShape,
    boolean labeled,
    OptionalInt classes) {

  /**
   * Describes a data set fed with a shape.
   *
   * @param data the data set
   * @param inputShape the per-sample shape
   * @return the description
   */
  public static DataInfo of(Dataset data, SampleShape inputShape) {
    return new DataInfo(
        data.name(),
        data.source().toString(),
        data.format(),
        data.size(),
        data.featureCount(),
        inputShape,
        data.labeled(),
        data.labelRange());
  }

  /**
   * Returns a one-line description, e.g. {@code digits.csv (csv): 360 samples, input 64, labeled
   * (10 classes)}.
   *
   * @return the description
   */
  public String describe() {
    return name
        + " ("
        + format
        + "): "
        + samples
        + " samples, input "
        + inputShape
        + ", "
        + (labeled ? "labeled (" + classes.orElse(0) + " classes)" : "unlabeled");
  }
}
