package dev.lowrank.zoo.blocks;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds a small transformer encoder over a sequence of tokens (for digits: the 8 image rows as 8
 * tokens of 8 pixels): a linear embedding to {@code width}, learned positions, {@code layers}
 * {@link EncoderLayer}s (multi-head self-attention whose query, key, value and output projections
 * are {@code Linear} blocks, then a feed-forward {@code Linear -> ReLU -> Linear}, each with a
 * residual and layer norm), a mean over tokens and a linear head. Arguments from
 * serving.properties: {@code width=64}, {@code heads=4}, {@code hidden=128}, {@code layers=2},
 * {@code outputs=10}. (DJL's own {@code TransformerEncoderBlock} normalizes with batch norm, whose
 * running statistics made compressed models collapse; layer norm keeps them usable.)
 */
public final class RowTransformerBlockFactory implements BlockFactory {

  private static final long serialVersionUID = 1L;

  /**
   * Builds the block.
   *
   * @param width the model width (d_model)
   * @param heads attention heads
   * @param hidden the feed-forward width
   * @param layers encoder layers
   * @param outputs the number of classes
   * @return the untrained block, for inputs of shape (batch, tokens, features)
   */
  public static Block transformer(int width, int heads, int hidden, int layers, int outputs) {
    SequentialBlock block = new SequentialBlock();
    block.add(Linear.builder().setUnits(width).build());
    block.add(new LearnedPositions());
    for (int i = 0; i < layers; i++) {
      block.add(new EncoderLayer(width, heads, hidden));
    }
    block.add(new LambdaBlock(RowTransformerBlockFactory::meanOverTokens, "meanOverTokens"));
    block.add(Linear.builder().setUnits(outputs).build());
    return block;
  }

  private static NDList meanOverTokens(NDList x) {
    return new NDList(x.singletonOrThrow().mean(new int[] {1}));
  }

  @Override
  public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
    return transformer(
        Integer.parseInt(MlpBlockFactory.arg(arguments, "width")),
        Integer.parseInt(MlpBlockFactory.arg(arguments, "heads")),
        Integer.parseInt(MlpBlockFactory.arg(arguments, "hidden")),
        Integer.parseInt(MlpBlockFactory.arg(arguments, "layers")),
        Integer.parseInt(MlpBlockFactory.arg(arguments, "outputs")));
  }
}
