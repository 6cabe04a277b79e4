package dev.lowrank.eval.internal;

import dev.lowrank.data.DataFileException;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.eval.accuracy.Accuracy;
import dev.lowrank.eval.accuracy.Predictions;
import dev.lowrank.eval.model.InferenceModel;
import dev.lowrank.eval.model.InferenceSession;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.io.InputFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The common start of every evaluation: the original model loaded, the data read and fitted to its
 * input shape, and the original's predictions (and accuracy, on labeled data).
 *
 * <p>The input shape of feature rows is the one given, else the one a DJL model stores, else the
 * data's own row length (flat features). Named inputs (an {@code .npz} of forward arguments,
 * tokenized text) are matched to a TorchScript model's {@code forward} arguments by name and fed in
 * its order; a pooling turns per-token outputs into sentence embeddings.
 */
public final class Baseline implements AutoCloseable {

  private final InferenceModel model;
  private final Dataset data;
  private final SampleShape shape;
  private final int batchSize;
  private final Progress progress;
  private final Optional<Pooling> pooling;
  private Predictions predictions;
  private Optional<Accuracy> accuracy = Optional.empty();

  private Baseline(
      InferenceModel model,
      Dataset data,
      SampleShape shape,
      Optional<Pooling> pooling,
      int batchSize,
      Progress progress) {
    this.model = model;
    this.data = data;
    this.shape = shape;
    this.pooling = pooling;
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
    return prepare(modelPath, source, inputShape, Optional.empty(), batchSize, progress);
  }

  /**
   * Loads the original model and the data, and runs the model over the data, pooling per-token
   * outputs when asked.
   *
   * @param modelPath the original model
   * @param source the data
   * @param inputShape the per-sample input shape of feature rows, when given
   * @param pooling how per-token outputs become sentence embeddings, or empty
   * @param batchSize samples per batch of the accuracy pass
   * @param progress where to report
   * @return the baseline, to be closed by the caller
   * @throws InputFileException if the model or the data cannot be used, the data does not fit the
   *     model's input, or a label is outside the model's outputs
   */
  public static Baseline prepare(
      Path modelPath,
      DataSource source,
      Optional<SampleShape> inputShape,
      Optional<Pooling> pooling,
      int batchSize,
      Progress progress)
      throws InputFileException {
    if (batchSize < 1) {
      throw new IllegalArgumentException("The batch size must be at least 1, got " + batchSize);
    }
    InferenceModel model = InferenceModel.load(modelPath);
    try {
      Optional<SampleShape> known = inputShape.or(model::storedInputShape);
      Dataset data = source.load(known, model.inputNames());
      SampleShape shape;
      if (data.hasFeatureRows()) {
        shape = known.orElse(SampleShape.flat(data.featureCount()));
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
      } else {
        shape = data.inputs().get(0).shape();
      }
      Baseline b = new Baseline(model, data, shape, pooling, batchSize, progress);
      b.predictions = b.predict(model, "accuracy original");
      if (data.labeled() && pooling.isEmpty()) {
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
        session.run(data.batch(0, 1, shape), pooling);
      } catch (ModelFileException e) {
        if (data.hasFeatureRows()) {
          throw new DataFileException(
              data.source(),
              "samples of shape "
                  + shape
                  + " do not fit the model ("
                  + e.getMessage()
                  + "); give the model's per-sample input shape (--input-shape, e.g. 1x8x8)",
              e);
        }
        throw new DataFileException(
            data.source(),
            "inputs "
                + String.join(", ", data.inputNames())
                + " do not fit the model ("
                + e.getMessage()
                + ")",
            e);
      }
      Predictions p =
          Predictions.compute(session, data, shape, pooling, batchSize, progress, label);
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
   * Returns the per-sample input shape: the one feature rows are fed at, or the first named input's
   * (padded) shape.
   *
   * @return the shape fed to the models
   */
  public SampleShape shape() {
    return shape;
  }

  /**
   * Returns the pooling that turns per-token outputs into sentence embeddings.
   *
   * @return the pooling, or empty when outputs are compared as the models return them
   */
  public Optional<Pooling> pooling() {
    return pooling;
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
