package dev.lowrank.eval.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The PyTorch engine's thread pools as DJL runs them: intra-op threads (the parallelism inside one
 * operator, what matters for latency) and inter-op threads.
 *
 * @param intraOp threads one operator uses
 * @param interOp threads running independent operators
 */
public record EngineThreads(int intraOp, int interOp) {

  /**
   * Returns the current settings, loading the engine if needed.
   *
   * @return the thread counts
   */
  public static EngineThreads current() {
    Engine.getEngine("PyTorch");
    return new EngineThreads(JniUtils.getNumThreads(), JniUtils.getNumInteropThreads());
  }

  /**
   * Sets the number of intra-op threads for the whole process (PyTorch's {@code
   * torch.set_num_threads}).
   *
   * @param threads at least 1
   */
  public static void setIntraOp(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    Engine.getEngine("PyTorch");
    JniUtils.setNumThreads(threads);
  }
}
