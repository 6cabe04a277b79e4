package dev.lowrank.format;

import dev.lowrank.data.SampleShape;
import dev.lowrank.data.Tensor;
import dev.lowrank.linalg.FloatMatrix;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs a {@link SourceModel} on batches of inputs, showing an observer the input of each layer it
 * was opened for, and lets the weights of dense layers be replaced for a while (by {@code B A}, to
 * see what the model computes with some layers truncated, without rewriting it).
 *
 * <p>One runner runs on one thread at a time. Every native array a run creates is released before
 * {@link #run} returns, so long loops do not grow native memory.
 */
public interface ModelRunner extends AutoCloseable {

  /**
   * Returns the names of the model's inputs, in the order {@link #run} takes them (a TorchScript
   * model's forward arguments, {@code input_ids} and {@code attention_mask} for a text encoder).
   *
   * @return the input names
   */
  List<String> inputNames();

  /**
   * Returns the per-sample shape of the model's single input when the model records it (a DJL block
   * model stores the shape it was initialized with), so that flat samples can be reshaped.
   *
   * @return the shape without the batch axis, or empty when the model records none
   */
  default Optional<SampleShape> sampleShape() {
    return Optional.empty();
  }

  /**
   * Runs the model on one batch.
   *
   * @param inputs one tensor per input, in {@link #inputNames()} order, the batch on axis 0
   * @param observer receives, during the run, each observed layer's input: for a linear layer a
   *     float32 tensor whose last axis is the layer's {@code m} inputs (the batch and any sequence
   *     axes before it); for a convolution the tensor it convolves, {@code [N, C_in, H, W]} (or an
   *     unbatched {@code [C_in, H, W]}), before any padding; a layer called several times in one
   *     run is reported each time
   * @return the model's outputs, float32 (the first is the one accuracy and fidelity use)
   * @throws ModelFileException if the model fails on the inputs (typically a shape or type it does
   *     not take); the message names the model file
   */
  List<Tensor> run(List<Tensor> inputs, LayerInputObserver observer) throws ModelFileException;

  /**
   * Replaces the dense weights of some layers until {@link #resetWeights()} (each call starts from
   * the original weights: layers not named get theirs back).
   *
   * @param weights per layer name, a matrix of that layer's {@code n x m} shape (a convolution's
   *     channel form {@code C_out x (C_in kh kw)})
   * @throws IllegalArgumentException if a name is not a dense layer of the model or a shape differs
   */
  void setWeights(Map<String, FloatMatrix> weights);

  /**
   * Returns whether {@link #setWeights} can replace a layer's weight: a format may run some layers
   * (an attention module's projections, which it reads from one packed tensor) without being able
   * to replace their weights in place.
   *
   * @param layer a layer name
   * @return {@code true} if the layer's weight can be replaced
   */
  default boolean replaces(String layer) {
    return true;
  }

  /** Restores every weight {@link #setWeights} replaced. */
  void resetWeights();

  /** Restores the weights and releases the runner's resources. */
  @Override
  void close();
}
