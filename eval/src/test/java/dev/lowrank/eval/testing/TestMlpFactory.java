package dev.lowrank.eval.testing;

import ai.djl.Model;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * The block factory of the eval tests' DJL models: an MLP with {@code hidden=w1,w2} ReLU layers and
 * {@code outputs} classes; {@code flatten=true} prepends a flatten block so that the model takes
 * {@code 1x8x8} images.
 */
public final class TestMlpFactory implements BlockFactory {

  private static final long serialVersionUID = 1L;

  /**
   * Builds the MLP.
   *
   * @param hidden hidden widths
   * @param outputs classes
   * @param flatten whether to flatten the input first
   * @return the block
   */
  public static Block mlp(int[] hidden, int outputs, boolean flatten) {
    SequentialBlock block = new SequentialBlock();
    if (flatten) {
      block.add(Blocks.batchFlattenBlock());
    }
    for (int width : hidden) {
      block.add(Linear.builder().setUnits(width).build());
      block.add(Activation.reluBlock());
    }
    block.add(Linear.builder().setUnits(outputs).build());
    return block;
  }

  @Override
  public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
    int[] hidden =
        Arrays.stream(arguments.get("hidden").toString().split(","))
            .mapToInt(s -> Integer.parseInt(s.trim()))
            .toArray();
    int outputs = Integer.parseInt(arguments.get("outputs").toString());
    boolean flatten = Boolean.parseBoolean(String.valueOf(arguments.get("flatten")));
    return mlp(hidden, outputs, flatten);
  }
}
