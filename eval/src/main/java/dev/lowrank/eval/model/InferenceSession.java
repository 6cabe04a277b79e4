package dev.lowrank.eval.model;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import dev.lowrank.data.SampleShape;
import dev.lowrank.format.ModelFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Runs a model on batches from one thread: a DJL {@link Predictor} of its own, and one {@link
 * NDManager} per batch, closed before {@link #run} returns, so native memory does not grow over a
 * long loop. Not thread-safe: open one session per thread.
 */
public final class InferenceSession implements AutoCloseable {

  private final Path path;
  private final ZooModel<NDList, NDList> model;
  private final Predictor<NDList, NDList> predictor;

  InferenceSession(Path path, ZooModel<NDList, NDList> model) {
    this.path = path;
    this.model = model;
    this.predictor = model.newPredictor();
  }

  /**
   * Runs the model on a batch.
   *
   * @param features {@code batch * shape.size()} values, sample after sample (C order)
   * @param batch the number of samples
   * @param shape the per-sample input shape
   * @return the first output tensor, flattened per sample
   * @throws ModelFileException if the model fails on the input (typically a shape it does not take)
   *     or returns something other than one row of scores per sample
   */
  public Outputs run(float[] features, int batch, SampleShape shape) throws ModelFileException {
    long needed = Math.multiplyExact(batch, shape.size());
    if (features.length < needed) {
      throw new IllegalArgumentException(
          "A batch of " + batch + " samples of shape " + shape + " needs " + needed + " values");
    }
    try (NDManager manager = model.getNDManager().newSubManager()) {
      NDArray x =
          manager.create(
              features.length == needed ? features : Arrays.copyOf(features, (int) needed),
              new Shape(shape.withBatch(batch)));
      NDList out = predictor.predict(new NDList(x));
      out.attach(manager);
      if (out.isEmpty()) {
        throw new ModelFileException(path, "returned no output");
      }
      NDArray head = out.head();
      float[] values =
          head.getDataType() == DataType.FLOAT32
              ? head.toFloatArray()
              : head.toType(DataType.FLOAT32, false).toFloatArray();
      if (head.getShape().dimension() == 0
          || head.getShape().get(0) != batch
          || values.length % batch != 0
          || values.length == 0) {
        throw new ModelFileException(
            path,
            "returned an output of shape "
                + head.getShape()
                + " for a batch of "
                + batch
                + "; expected one row of scores per sample");
      }
      return new Outputs(batch, values.length / batch, values);
    } catch (TranslateException | RuntimeException e) {
      throw new ModelFileException(
          path,
          "fails on a batch of "
              + batch
              + " samples of shape "
              + shape
              + " ("
              + InferenceModel.oneLine(rootCause(e))
              + ")",
          e);
    }
  }

  private static Throwable rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }

  @Override
  public void close() {
    predictor.close();
  }
}
