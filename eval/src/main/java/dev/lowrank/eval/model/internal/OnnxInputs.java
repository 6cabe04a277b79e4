package dev.lowrank.eval.model.internal;

import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.lowrank.format.onnx.OnnxEnvironment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The declared input shapes of an ONNX file, which DJL's OnnxRuntime engine does not report: read
 * by opening the file once in ONNX Runtime without graph optimizations.
 */
public final class OnnxInputs {

  private OnnxInputs() {}

  /**
   * Returns the shapes of the model's inputs (dynamic axes as -1), in input order.
   *
   * @param file the {@code .onnx} file
   * @return one shape per input, or {@code null} when ONNX Runtime cannot open the file
   */
  public static Shape[] shapes(Path file) {
    OrtEnvironment env = OnnxEnvironment.get();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      try (OrtSession session = env.createSession(file.toString(), options)) {
        List<Shape> shapes = new ArrayList<>();
        for (NodeInfo info : session.getInputInfo().values()) {
          if (!(info.getInfo() instanceof TensorInfo t)) {
            return null;
          }
          shapes.add(new Shape(t.getShape()));
        }
        return shapes.toArray(Shape[]::new);
      }
    } catch (OrtException e) {
      return null;
    }
  }
}
