package dev.lowrank.format.onnx.internal;

import dev.lowrank.format.Layer;
import java.util.OptionalInt;

/**
 * A linear layer of an ONNX graph: the {@link Layer} the format lists, and where it lives in the
 * graph.
 *
 * @param layer the layer as the format lists it
 * @param op how the node computes it
 * @param node the main-graph node that computes it (for a factorized layer, the second product)
 * @param first for a factorized layer, the node of the first product ({@code x A^T})
 * @param weight the initializer holding {@code W} (empty for a factorized layer)
 * @param transposedStorage whether the initializer holds {@code W^T} ({@code m x n}: MatMul, Gemm
 *     without transB) rather than {@code W} ({@code n x m}: Gemm with transB)
 * @param input the value the layer multiplies, whose axis of {@code m} is given by {@code layout}
 * @param layout how {@code input} is laid out against the {@code m} inputs
 */
record OnnxLayer(
    Layer layer,
    Op op,
    int node,
    OptionalInt first,
    String weight,
    boolean transposedStorage,
    String input,
    InputLayout layout) {

  /** How a node computes the layer. */
  enum Op {
    /** {@code MatMul(x, W^T)}: the weight is the right operand. */
    MATMUL,
    /** {@code Gemm(x, B, C)} with its attributes: the weight is {@code B}. */
    GEMM,
    /** An operator lowrank lists but never rewrites (quantized ops, the left operand of MatMul). */
    OTHER
  }

  /** Where the layer's {@code m} inputs lie in the value it multiplies. */
  enum InputLayout {
    /** On the last axis (MatMul, Gemm without transA). */
    LAST_AXIS,
    /** On the first of two axes (Gemm with transA: the value is {@code m x batch}). */
    FIRST_OF_TWO,
    /** On the second-to-last axis (the right operand of {@code MatMul(W, x)}). */
    SECOND_TO_LAST
  }

  /**
   * Returns the layer's name.
   *
   * @return the name
   */
  String name() {
    return layer.name();
  }
}
