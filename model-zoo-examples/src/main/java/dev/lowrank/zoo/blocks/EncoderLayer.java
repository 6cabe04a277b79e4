package dev.lowrank.zoo.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * One post-norm transformer encoder layer: {@code h = LN(x + Attention(x))}, {@code y = LN(h + W2
 * relu(W1 h))}, where multi-head self-attention projects with four {@code Linear} blocks (query,
 * key, value, output) and the feed-forward part is two more. Every projection is called through its
 * forward, so the compressor can factorize all six.
 */
public final class EncoderLayer extends AbstractBlock {

  private static final byte VERSION = 1;

  private final int heads;
  private final Linear query;
  private final Linear key;
  private final Linear value;
  private final Linear output;
  private final LayerNorm norm1;
  private final Linear expand;
  private final Linear contract;
  private final LayerNorm norm2;

  /**
   * Creates the layer.
   *
   * @param width the model width, divisible by {@code heads}
   * @param heads attention heads
   * @param hidden the feed-forward width
   */
  @SuppressWarnings("this-escape")
  public EncoderLayer(int width, int heads, int hidden) {
    super(VERSION);
    if (width % heads != 0) {
      throw new IllegalArgumentException(
          "width " + width + " is not divisible by " + heads + " heads");
    }
    this.heads = heads;
    query = addChildBlock("query", Linear.builder().setUnits(width).build());
    key = addChildBlock("key", Linear.builder().setUnits(width).build());
    value = addChildBlock("value", Linear.builder().setUnits(width).build());
    output = addChildBlock("output", Linear.builder().setUnits(width).build());
    norm1 = addChildBlock("norm1", LayerNorm.builder().axis(2).build());
    expand = addChildBlock("expand", Linear.builder().setUnits(hidden).build());
    contract = addChildBlock("contract", Linear.builder().setUnits(width).build());
    norm2 = addChildBlock("norm2", LayerNorm.builder().axis(2).build());
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.singletonOrThrow();
    Shape shape = x.getShape();
    long batch = shape.get(0);
    long tokens = shape.get(1);
    long width = shape.get(2);
    long depth = width / heads;
    NDArray q = split(query.forward(ps, inputs, training).head(), batch, tokens, depth);
    NDArray k = split(key.forward(ps, inputs, training).head(), batch, tokens, depth);
    NDArray v = split(value.forward(ps, inputs, training).head(), batch, tokens, depth);
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).div(Math.sqrt(depth));
    NDArray attended = scores.softmax(-1).matMul(v);
    NDArray merged = attended.transpose(0, 2, 1, 3).reshape(batch, tokens, width);
    NDArray projected = output.forward(ps, new NDList(merged), training).head();
    NDList h = norm1.forward(ps, new NDList(x.add(projected)), training);
    NDArray ff = expand.forward(ps, h, training).head();
    NDArray back =
        contract.forward(ps, new NDList(ff.getNDArrayInternal().relu()), training).head();
    return norm2.forward(ps, new NDList(h.head().add(back)), training);
  }

  private NDArray split(NDArray a, long batch, long tokens, long depth) {
    return a.reshape(batch, tokens, heads, depth).transpose(0, 2, 1, 3);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return inputShapes;
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
    Shape in = shapes[0];
    for (Linear l : new Linear[] {query, key, value, output}) {
      l.initialize(manager, dataType, in);
    }
    norm1.initialize(manager, dataType, in);
    expand.initialize(manager, dataType, in);
    contract.initialize(manager, dataType, expand.getOutputShapes(new Shape[] {in}));
    norm2.initialize(manager, dataType, in);
  }
}
