package dev.lowrank.testing;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;

/**
 * DJL block trees that exercise the rewriter: nested sequential blocks, a parallel block, a custom
 * block holding a {@code Linear} in a field, a block reading a child's weight directly, and a
 * lambda capturing a {@code Linear}.
 */
public final class TestBlocks {

  private TestBlocks() {}

  /** Which variant {@link Factory} builds, from serving.properties {@code variant=...}. */
  public enum Variant {
    /** Nested sequential, parallel and residual blocks: 7 linear layers, all rewritable. */
    NESTED,
    /** NESTED plus a head whose parent reads the head's weight directly. */
    TIED,
    /** NESTED plus a linear layer captured by a lambda. */
    CAPTURED
  }

  /** Builds the test architectures; serving.properties names it with {@code variant=NESTED}. */
  public static final class Factory implements BlockFactory {
    private static final long serialVersionUID = 1L;

    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
      return build(Variant.valueOf(String.valueOf(arguments.get("variant"))));
    }
  }

  /**
   * Builds a variant.
   *
   * @param variant which tree
   * @return the untrained block
   */
  public static Block build(Variant variant) {
    SequentialBlock inner = new SequentialBlock();
    inner.add(Linear.builder().setUnits(64).build());
    inner.add(Activation.reluBlock());
    SequentialBlock net = new SequentialBlock();
    net.add(Linear.builder().setUnits(96).build());
    net.add(Activation.reluBlock());
    net.add(inner);
    net.add(new Residual(64));
    net.add(
        new ParallelBlock(
            list -> new NDList(NDArrays.concat(list)),
            Arrays.asList(
                Linear.builder().setUnits(24).build(), Linear.builder().setUnits(24).build())));
    net.add(Activation.reluBlock());
    switch (variant) {
      case TIED:
        net.add(new TiedHead(10));
        break;
      case CAPTURED:
        net.add(new CapturedLinear(10));
        break;
      default:
        net.add(Linear.builder().setUnits(10).build());
    }
    return net;
  }

  /** Concatenation helper kept separate so the lambda above captures nothing. */
  static final class NDArrays {
    private NDArrays() {}

    static NDArray concat(java.util.List<NDList> parts) {
      NDList all = new NDList();
      for (NDList p : parts) {
        all.add(p.head());
      }
      return ai.djl.ndarray.NDArrays.concat(all, -1);
    }
  }

  /** {@code y = x + relu(inner(x))}, with {@code inner} held in a field. */
  public static final class Residual extends AbstractBlock {
    private final Linear inner;

    Residual(int units) {
      inner = addChildBlock("inner", Linear.builder().setUnits(units).build());
    }

    @Override
    protected NDList forwardInternal(
        ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
      NDArray x = inputs.head();
      NDArray y = inner.forward(ps, inputs, training).head();
      return new NDList(x.add(Activation.relu(y)));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
      return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
      inner.initialize(manager, dataType, shapes);
    }
  }

  /** A classifier head whose forward multiplies by its child's weight itself. */
  public static final class TiedHead extends AbstractBlock {
    private final Linear proj;

    TiedHead(int units) {
      proj = addChildBlock("proj", Linear.builder().setUnits(units).optBias(false).build());
    }

    @Override
    protected NDList forwardInternal(
        ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
      NDArray x = inputs.head();
      NDArray w = proj.getParameters().get("weight").getArray();
      return new NDList(x.matMul(w.transpose()).mul(2));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
      return proj.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
      proj.initialize(manager, dataType, shapes);
    }
  }

  /** A head that calls its linear child through a lambda, which captures it. */
  public static final class CapturedLinear extends AbstractBlock {
    private final Function<NDList, NDList> call;
    private final Block child;

    CapturedLinear(int units) {
      Linear linear = addChildBlock("captured", Linear.builder().setUnits(units).build());
      child = new ai.djl.nn.LambdaBlock(list -> list);
      call =
          list -> linear.forward(new ParameterStore(list.head().getManager(), false), list, false);
    }

    @Override
    protected NDList forwardInternal(
        ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
      return call.apply(child.forward(ps, inputs, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
      return children.values().get(0).getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
      children.values().get(0).initialize(manager, dataType, shapes);
    }
  }
}
