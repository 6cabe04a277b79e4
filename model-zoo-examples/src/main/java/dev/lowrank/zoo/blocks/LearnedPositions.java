package dev.lowrank.zoo.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;

/**
 * Adds a learned embedding to each position of a token sequence: {@code y[b, t, :] = x[b, t, :] +
 * p[t, :]} for inputs of shape (batch, tokens, width).
 */
public final class LearnedPositions extends AbstractBlock {

  private static final byte VERSION = 1;

  private final Parameter positions;

  /** Creates the block; the table's shape follows the first input. */
  @SuppressWarnings("this-escape")
  public LearnedPositions() {
    super(VERSION);
    positions =
        addParameter(
            Parameter.builder()
                .setName("positions")
                .setType(Parameter.Type.WEIGHT)
                .optInitializer(new NormalInitializer(0.02f))
                .build());
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore parameterStore,
      NDList inputs,
      boolean training,
      PairList<String, Object> params) {
    NDArray x = inputs.singletonOrThrow();
    NDArray p = parameterStore.getValue(positions, x.getDevice(), training);
    return new NDList(x.add(p));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return inputShapes;
  }

  @Override
  public void prepare(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    positions.setShape(new Shape(in.get(in.dimension() - 2), in.get(in.dimension() - 1)));
  }
}
