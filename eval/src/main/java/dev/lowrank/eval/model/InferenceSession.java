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
import dev.lowrank.data.Tensor;
import dev.lowrank.data.TextData;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.format.ModelFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

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
   * Returns the model's path (error messages name it).
   *
   * @return the path the model was loaded from
   */
  public Path path() {
    return path;
  }

  /**
   * Runs the model on a batch of feature rows.
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
    float[] x = features.length == needed ? features : Arrays.copyOf(features, (int) needed);
    return run(List.of(Tensor.ofFloats("input", shape.withBatch(batch), x)), Optional.empty());
  }

  /**
   * Runs the model on a batch of inputs (the model's forward arguments in order, the batch on axis
   * 0; int64 tensors become int64 arrays), pooling per-token outputs into sentence embeddings when
   * asked.
   *
   * @param inputs one tensor per model input, all of the same batch size
   * @param pooling how {@code batch x tokens x hidden} outputs become {@code batch x hidden}
   *     embeddings (with the input named {@value TextData#ATTENTION_MASK} as the mask, when there
   *     is one), or empty to return the first output as it is, flattened per sample
   * @return the first output tensor, flattened (or pooled) per sample
   * @throws ModelFileException if the model fails on the input or returns something other than one
   *     row per sample
   */
  public Outputs run(List<Tensor> inputs, Optional<Pooling> pooling) throws ModelFileException {
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException("A batch needs at least one input tensor");
    }
    int batch = (int) inputs.get(0).dim(0);
    try (NDManager manager = model.getNDManager().newSubManager()) {
      NDList x = new NDList(inputs.size());
      for (Tensor t : inputs) {
        NDArray a =
            t.type() == Tensor.Type.INT64
                ? manager.create(t.longs(), new Shape(t.shape()))
                : manager.create(t.floats(), new Shape(t.shape()));
        x.add(a);
      }
      NDList out = predictor.predict(x);
      out.attach(manager);
      if (out.isEmpty()) {
        throw new ModelFileException(path, "returned no output");
      }
      NDArray head = out.head();
      if (head.getShape().dimension() == 0 || head.getShape().get(0) != batch) {
        throw new ModelFileException(
            path,
            "returned an output of shape "
                + head.getShape()
                + " for a batch of "
                + batch
                + "; expected one row of scores per sample");
      }
      if (pooling.isPresent()) {
        return pool(head, inputs, pooling.get(), batch);
      }
      float[] values =
          head.getDataType() == DataType.FLOAT32
              ? head.toFloatArray()
              : head.toType(DataType.FLOAT32, false).toFloatArray();
      if (values.length % batch != 0 || values.length == 0) {
        throw new ModelFileException(
            path,
            "returned an output of shape "
                + head.getShape()
                + " for a batch of "
                + batch
                + "; expected one row of scores per sample");
      }
      return new Outputs(batch, values.length / batch, values, head.getShape().getShape());
    } catch (TranslateException | RuntimeException e) {
      throw new ModelFileException(
          path,
          "fails on a batch of "
              + batch
              + " samples "
              + describe(inputs)
              + " ("
              + InferenceModel.oneLine(rootCause(e))
              + ")",
          e);
    }
  }

  private static String describe(List<Tensor> inputs) {
    if (inputs.size() == 1 && inputs.get(0).dimensions() > 1) {
      long[] dims = inputs.get(0).shape();
      return "of shape " + SampleShape.of(Arrays.copyOfRange(dims, 1, dims.length));
    }
    return inputs.stream()
        .map(t -> t.name() + " " + t.shapeText())
        .collect(Collectors.joining(", ", "(", ")"));
  }

  private Outputs pool(NDArray head, List<Tensor> inputs, Pooling pooling, int batch)
      throws ModelFileException {
    Shape s = head.getShape();
    if (s.dimension() != 3) {
      throw new ModelFileException(
          path,
          "returned an output of shape "
              + s
              + "; pooling needs per-token states (batch x tokens x hidden)");
    }
    int tokens = (int) s.get(1);
    int hidden = (int) s.get(2);
    long[] mask = null;
    for (Tensor t : inputs) {
      if (t.name().equals(TextData.ATTENTION_MASK)
          && t.type() == Tensor.Type.INT64
          && t.size() == batch * tokens) {
        mask = t.longs();
      }
    }
    float[] states =
        head.getDataType() == DataType.FLOAT32
            ? head.toFloatArray()
            : head.toType(DataType.FLOAT32, false).toFloatArray();
    return new Outputs(batch, hidden, pooling.pool(states, batch, tokens, hidden, mask));
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
