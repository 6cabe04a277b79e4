package dev.lowrank.format.djl;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.lowrank.runtime.LowRankLinear;
import dev.lowrank.runtime.blocks.BlockReferences;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Runs a model on a seeded random input to check that swapping blocks keeps its output: the safety
 * net against parent blocks that use a {@link Linear}'s weight outside the Linear's own forward.
 *
 * <p>Only models with one float input of known shape can be probed; for others {@link
 * #create(Model, NDManager)} returns empty and the compressor relies on the reference scan alone.
 */
final class OutputProbe {

  /** Relative output difference above which two runs count as different. */
  static final double TOLERANCE = 1e-4;

  private static final long SEED = 17;

  private final Model model;
  private final NDList input;
  private final NDArray reference;

  private OutputProbe(Model model, NDList input, NDArray reference) {
    this.model = model;
    this.input = input;
    this.reference = reference;
  }

  /**
   * Runs the model as it is on a probe input and keeps the output as the reference.
   *
   * @param model the model
   * @param scratch the manager owning the probe's arrays (closed by the caller)
   * @return the probe, or empty if the model cannot be run on a random float input
   */
  static Optional<OutputProbe> create(Model model, NDManager scratch) {
    PairList<String, Shape> inputs = model.describeInput();
    if (inputs == null || inputs.size() != 1 || inputs.valueAt(0) == null) {
      return Optional.empty();
    }
    Shape shape = inputs.valueAt(0);
    Random random = new Random(SEED);
    float[] values = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    NDList input = new NDList(scratch.create(values, shape));
    try {
      NDArray reference = run(model.getBlock(), input);
      if (!isFinite(reference)) {
        // NaN or infinite weights: nothing to compare against; the compressor refuses them later.
        return Optional.empty();
      }
      return Optional.of(new OutputProbe(model, input, reference));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Returns the relative difference between the model's output now and the reference.
   *
   * @return {@code ||now - reference|| / ||reference||}, infinite if the model fails to run
   */
  double difference() {
    try {
      return relativeDifference(reference, run(model.getBlock(), input));
    } catch (RuntimeException e) {
      return Double.POSITIVE_INFINITY;
    }
  }

  /**
   * Returns whether the model still computes the reference output.
   *
   * @return {@code true} if the difference is within {@link #TOLERANCE}
   */
  boolean matches() {
    return difference() <= TOLERANCE;
  }

  /**
   * Replaces blocks in the model tree (or the model's root block).
   *
   * @param model the model whose root may be swapped
   * @param refs the reference index of the tree
   * @param swaps old block to new block
   */
  static void swap(Model model, BlockReferences refs, Map<? extends Block, ? extends Block> swaps) {
    for (Map.Entry<? extends Block, ? extends Block> e : swaps.entrySet()) {
      if (model.getBlock() == e.getKey()) {
        model.setBlock(e.getValue());
      } else {
        refs.replace(e.getKey(), e.getValue());
      }
    }
  }

  /**
   * Returns the reverse of a swap map.
   *
   * @param swaps old block to new block
   * @return new block to old block
   */
  static Map<Block, Block> inverse(Map<? extends Block, ? extends Block> swaps) {
    Map<Block, Block> back = new LinkedHashMap<>();
    swaps.forEach((k, v) -> back.put(v, k));
    return back;
  }

  /**
   * Builds a low-rank block that computes exactly what a dense linear layer does, without an SVD:
   * {@code W = I W} when {@code n <= m}, {@code W = W I} otherwise (rank {@code min(n, m)}).
   *
   * @param linear the dense layer
   * @param scratch the manager of the new arrays
   * @return the exact stand-in
   */
  static LowRankLinear exactStandIn(Linear linear, NDManager scratch) {
    NDArray w = linear.getParameters().get("weight").getArray().toType(DataType.FLOAT32, true);
    w.attach(scratch);
    long n = w.getShape().get(0);
    long m = w.getShape().get(1);
    NDArray a;
    NDArray b;
    if (n <= m) {
      a = w;
      b = scratch.eye((int) n);
    } else {
      a = scratch.eye((int) m);
      b = w;
    }
    return DjlSourceModel.lowRankBlock(linear, a, b, (int) Math.min(n, m));
  }

  private static NDArray run(Block block, NDList input) {
    NDList out = block.forward(new ParameterStore(input.head().getManager(), false), input, false);
    return out.head();
  }

  private static boolean isFinite(NDArray array) {
    for (float v : array.toType(DataType.FLOAT32, true).toFloatArray()) {
      if (!Float.isFinite(v)) {
        return false;
      }
    }
    return true;
  }

  private static double relativeDifference(NDArray expected, NDArray actual) {
    if (!expected.getShape().equals(actual.getShape())) {
      return Double.POSITIVE_INFINITY;
    }
    float[] e = expected.toType(DataType.FLOAT32, true).toFloatArray();
    float[] a = actual.toType(DataType.FLOAT32, true).toFloatArray();
    double num = 0;
    double den = 0;
    for (int i = 0; i < e.length; i++) {
      double d = (double) e[i] - a[i];
      num += d * d;
      den += (double) e[i] * e[i];
    }
    return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
  }
}
