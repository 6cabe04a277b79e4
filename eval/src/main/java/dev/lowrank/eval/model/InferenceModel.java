package dev.lowrank.eval.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.util.Pair;
import dev.lowrank.data.SampleShape;
import dev.lowrank.eval.model.internal.ForwardSignature;
import dev.lowrank.eval.model.internal.ModelPaths;
import dev.lowrank.eval.model.internal.OnnxInputs;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.djl.DjlLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model loaded for inference through DJL's {@link Criteria} ({@code NDList} in and out, {@link
 * NoopTranslator}), as an inference service loads it:
 *
 * <ul>
 *   <li>a DJL block model: a directory with {@code serving.properties} naming a {@code
 *       blockFactory} (whose class must be on the classpath) and a {@code <name>-0000.params}
 *       (engine PyTorch);
 *   <li>a TorchScript file ({@code .pt}, a zip written by {@code torch.jit.save}; engine PyTorch);
 *   <li>an ONNX file ({@code .onnx}, with its external data files next to it; engine OnnxRuntime).
 * </ul>
 *
 * <p>A DJL directory's block factory and parameter file are checked first, and a load that fails
 * leaves no model open ({@link DjlLoader}).
 *
 * <p>The model may be shared by threads; each thread runs it through its own {@link
 * InferenceSession} from {@link #newSession()}. Close the model after its sessions.
 */
public final class InferenceModel implements AutoCloseable {

  private final Path path;
  private final String format;
  private final ZooModel<NDList, NDList> model;

  private InferenceModel(Path path, String format, ZooModel<NDList, NDList> model) {
    this.path = path;
    this.format = format;
    this.model = model;
  }

  /**
   * Loads a model.
   *
   * @param path a DJL model directory (or its {@code .params} file), a TorchScript or an ONNX file
   * @return the loaded model, to be closed by the caller
   * @throws ModelFileException if the path is missing or DJL cannot load it
   */
  public static InferenceModel load(Path path) throws ModelFileException {
    ModelPaths.Located located = ModelPaths.locate(path);
    if (located.format().equals(ModelPaths.DJL)) {
      DjlLoader.checkDirectory(located.modelPath(), located.modelName().orElseThrow());
    }
    Criteria.Builder<NDList, NDList> criteria =
        Criteria.builder()
            .setTypes(NDList.class, NDList.class)
            .optModelPath(located.modelPath())
            .optEngine(located.format().equals(ModelPaths.ONNX) ? "OnnxRuntime" : "PyTorch")
            .optTranslator(new NoopTranslator());
    located.modelName().ifPresent(criteria::optModelName);
    if (located.format().equals(ModelPaths.TORCHSCRIPT)) {
      criteria.optOption("mapLocation", "true");
    }
    try {
      return new InferenceModel(path, located.format(), DjlLoader.load(criteria.build()));
    } catch (ModelNotFoundException | MalformedModelException | IOException e) {
      throw new ModelFileException(path, "DJL cannot load the model (" + oneLine(e) + ")", e);
    } catch (RuntimeException e) {
      // DJL and the PyTorch engine report a bad model file or a missing block factory this way.
      throw new ModelFileException(path, "DJL cannot load the model (" + oneLine(e) + ")", e);
    }
  }

  /**
   * Returns the path the model was loaded from.
   *
   * @return the model path
   */
  public Path path() {
    return path;
  }

  /**
   * Returns the model's format: {@code djl}, {@code torchscript} or {@code onnx}.
   *
   * @return the format name
   */
  public String format() {
    return format;
  }

  /**
   * Returns the per-sample input shape the model stores: a DJL block model records the shape it was
   * initialized with (the batch axis dropped), an ONNX file the shape of its one input when every
   * axis but the batch is fixed; TorchScript files record none.
   *
   * @return the stored input shape, or empty
   */
  public Optional<SampleShape> storedInputShape() {
    Block block = model.getBlock();
    try {
      Shape[] shapes =
          format.equals(ModelPaths.ONNX)
              ? OnnxInputs.shapes(path)
              : block == null ? null : block.getInputShapes();
      if (shapes == null || shapes.length != 1 || shapes[0] == null || shapes[0].dimension() < 2) {
        return Optional.empty();
      }
      long[] dims = Arrays.copyOfRange(shapes[0].getShape(), 1, shapes[0].dimension());
      for (long d : dims) {
        if (d < 1) {
          return Optional.empty();
        }
      }
      return Optional.of(SampleShape.of(dims));
    } catch (IllegalStateException | UnsupportedOperationException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * Returns the names of the model's inputs in order, when the file says: a TorchScript file's
   * {@code forward} arguments after {@code self} (e.g. {@code input_ids, attention_mask}). DJL
   * block models take their inputs by position and name none.
   *
   * @return the input names, or an empty list when unknown
   */
  public List<String> inputNames() {
    if (!format.equals(ModelPaths.TORCHSCRIPT)) {
      return List.of();
    }
    return ForwardSignature.read(path).orElse(List.of());
  }

  /**
   * Counts the model's trained parameters as DJL sees them (every parameter tensor except batch
   * normalization running statistics); a fallback for formats the compressor cannot open. Tensors
   * listed under several names with the same shape and values (tied weights, which TorchScript
   * reports once per owner) are counted once, as PyTorch's {@code parameters()} does.
   *
   * @return the parameter count
   */
  public long djlParameterCount() {
    long total = 0;
    Map<Integer, List<float[]>> seen = new HashMap<>();
    for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
      Parameter.Type type = p.getValue().getType();
      if (type == Parameter.Type.RUNNING_MEAN || type == Parameter.Type.RUNNING_VAR) {
        continue;
      }
      if (!p.getValue().isInitialized()) {
        Shape shape = p.getValue().getShape();
        total += shape == null ? 0 : shape.size();
        continue;
      }
      NDArray array = p.getValue().getArray();
      float[] values = floats(array);
      int key = 31 * array.getShape().hashCode() + Arrays.hashCode(values);
      List<float[]> same = seen.computeIfAbsent(key, k -> new ArrayList<>());
      if (same.stream().noneMatch(v -> Arrays.equals(v, values))) {
        same.add(values);
        total += array.getShape().size();
      }
    }
    return total;
  }

  private static float[] floats(NDArray array) {
    if (array.getDataType() == DataType.FLOAT32) {
      return array.toFloatArray();
    }
    try (NDArray f = array.toType(DataType.FLOAT32, true)) {
      return f.toFloatArray();
    }
  }

  /**
   * Opens a session to run the model from the calling thread.
   *
   * @return a new session, to be closed by the caller
   */
  public InferenceSession newSession() {
    return new InferenceSession(path, model);
  }

  /**
   * Returns the model's native memory manager (for tests that count the arrays a loop leaves open).
   *
   * @return the manager that owns the model's arrays and, below it, every batch's
   */
  NDManager manager() {
    return model.getNDManager();
  }

  @Override
  public void close() {
    model.close();
  }

  @Override
  public String toString() {
    return "InferenceModel[" + path + ", " + format + "]";
  }

  static String oneLine(Throwable e) {
    String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return msg.replaceAll("\\s+", " ").trim();
  }
}
