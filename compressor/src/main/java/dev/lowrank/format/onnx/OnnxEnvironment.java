package dev.lowrank.format.onnx;

import ai.djl.engine.Engine;
import ai.onnxruntime.OrtEnvironment;

/**
 * The process's one ONNX Runtime environment, for every place lowrank calls ONNX Runtime's Java API
 * itself (the ONNX format's calibration capture, eval's input shapes).
 *
 * <p>DJL's OnnxRuntime engine, when it is on the class path (eval and the CLI run ONNX models
 * through it), creates the environment with global thread pools, and ONNX Runtime accepts thread
 * pools only when the environment is created: had lowrank created it first, DJL's engine would fail
 * for the rest of the process ("Tried to specify the thread pool when creating an OrtEnvironment,
 * but one already exists"), so that an ONNX model calibrated in a JVM could not then be evaluated
 * in it. {@link #get()} therefore lets DJL's engine create the environment first.
 */
public final class OnnxEnvironment {

  /** The name DJL registers its OnnxRuntime engine under. */
  static final String DJL_ENGINE = "OnnxRuntime";

  private OnnxEnvironment() {}

  /**
   * Returns the environment, created by DJL's OnnxRuntime engine when that engine is on the class
   * path.
   *
   * @return the environment
   */
  public static OrtEnvironment get() {
    if (Engine.hasEngine(DJL_ENGINE)) {
      Engine.getEngine(DJL_ENGINE);
    }
    return OrtEnvironment.getEnvironment();
  }
}
