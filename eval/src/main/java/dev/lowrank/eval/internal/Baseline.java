package dev.lowrank.eval.internal;

import dev.lowrank.data.DataFileException;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.eval.accuracy.Accuracy;
import dev.lowrank.eval.accuracy.Predictions;
import dev.lowrank.eval.model.InferenceModel;
import dev.lowrank.eval.model.InferenceSession;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.io.InputFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The common start of every evaluation: the original model loaded, the data read and fitted to its
 * input shape, and the original's predictions (and accuracy, on labeled data).
 *
 * <p>The input shape is the one given, else the one a DJL model stores, else the data's own row
 * length (flat features).
 */
public final class Baseline implements AutoCloseable {

  private final InferenceModel model;
  private final Dataset data;
  private final SampleShape shape;
  private final int batchSize;
  private final Progress progress;
  private Predictions predictions;
  private Optional<Accuracy> accuracy = Optional.empty();

  private Baseline(
      InferenceModel model, Dataset data, SampleShape shape, int batchSize, Progress progress) {
    this.model = model;
    this.data = data;
    this.shape = shape;
    this.batchSize = batchSize;
    this.progress = progress;
  }

  /**
   * Loads the original model and the data, and runs the model over the data.
   *
   * @param modelPath the original model
   * @param source the data
   * @param inputShape the per-sample input shape, when given
   * @param batchSize samples per batch of the accuracy pass
   * @param progress where to report
   * @return the baseline, to be closed by the caller
   * @throws ModelFileException if the model or the data cannot be used, the data does not fit the
   *     model's input, or a label is outside the model's outputs
   */
  public static Baseline prepare(
      Path modelPath,
      DataSource source,
      Optional<SampleShape> inputShape,
      int batchSize,
      Progress progress)
      throws InputFileException {
    if (batchSize < 1) {
      throw new IllegalArgumentException("The batch size must be at least 1, got " + batchSize);
    }
    InferenceModel model = InferenceModel.load(modelPath);
    try {
      Optional<SampleShape> known = inputShape.or(model::storedInputShape);
      Dataset data = source.load(known);
      SampleShape shape = known.orElse(SampleShape.flat(data.featureCount()));
      if (shape.size() != data.featureCount()) {
        throw new DataFileException(
            data.source(),
            "shape mismatch: samples hold "
                + data.featureCount()
                + " values but the model "
                + modelPath
                + " takes "
                + shape
                + " = "
                + shape.size()
                + " per sample");
      }
      Baseline b = new Baseline(model, data, shape, batchSize, progress);
      b.predictions = b.predict(model, "accuracy original");
      if (data.labeled()) {
        b.accuracy = Optional.of(Accuracy.of(b.predictions, data));
      }
      return b;
    } catch (Throwable e) {
      try {
        model.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /**
   * Runs another model (a compressed one) over the same data, checking first on one sample that it
   * takes the input shape.
   *
   * @param other the model
   * @param label the progress label
   * @return its predictions
   * @throws InputFileException if the model fails, its output width differs from the original's, or
   *     the samples do not fit it
   */
  public Predictions predict(InferenceModel other, String label) throws InputFileException {
    try (InferenceSession session = other.newSession()) {
      try {
        float[] one = new float[data.featureCount()];
        data.copyRows(0, 1, one);
        session.run(one, 1, shape);
      } catch (ModelFileException e) {
        throw new DataFileException(
            data.source(),
            "samples of shape "
                + shape
                + " do not fit the model ("
                + e.getMessage()
                + "); give the model's per-sample input shape (--input-shape, e.g. 1x8x8)",
            e);
      }
      Predictions p = Predictions.compute(session, data, shape, batchSize, progress, label);
      if (predictions != null && p.width() != predictions.width()) {
        throw new ModelFileException(
            other.path(),
            "returns "
                + p.width()
                + " scores per sample, the original model "
                + predictions.width()
                + "; is it a compressed version of "
                + model.path()
                + "?");
      }
      return p;
    }
  }

  /**
   * Returns the loaded original model.
   *
   * @return the model
   */
  public InferenceModel model() {
    return model;
  }

  /**
   * Returns the data.
   *
   * @return the samples
   */
  public Dataset data() {
    return data;
  }

  /**
   * Returns the per-sample input shape.
   *
   * @return the shape fed to the models
   */
  public SampleShape shape() {
    return shape;
  }

  /**
   * Returns the original model's predictions.
   *
   * @return the scores
   */
  public Predictions predictions() {
    return predictions;
  }

  /**
   * Returns the original model's accuracy, on labeled data.
   *
   * @return the accuracy, or empty
   */
  public Optional<Accuracy> accuracy() {
    return accuracy;
  }

  @Override
  public void close() {
    model.close();
  }
}
