package dev.lowrank.format;

import dev.lowrank.data.Tensor;

/** Receives the inputs of observed layers while a {@link ModelRunner} runs a batch. */
@FunctionalInterface
public interface LayerInputObserver {

  /** An observer that ignores everything (for runs that only need the outputs). */
  LayerInputObserver NONE = (layer, input) -> {};

  /**
   * Receives one layer's input of the current batch. The tensor is only valid during the call
   * unless the observer copies it.
   *
   * @param layer the layer's name
   * @param input the layer's input, float32: its last axis the layer's {@code m} inputs, or a
   *     convolution's {@code [N, C_in, H, W]} (see {@link ModelRunner#run})
   */
  void observe(String layer, Tensor input);

  /**
   * Returns whether this observer wants a layer's inputs at all, so that a runner can skip copying
   * the inputs of layers it was opened for but this run does not need (default: every layer).
   *
   * @param layer the layer's name
   * @return {@code false} to have {@link #observe} not called for it
   */
  default boolean observes(String layer) {
    return true;
  }
}
