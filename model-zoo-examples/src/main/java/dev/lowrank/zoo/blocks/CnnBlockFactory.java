package dev.lowrank.zoo.blocks;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds a small LeNet-like CNN: for each filter count a 3x3 convolution (padding 1), ReLU and 2x2
 * max pooling, then a flatten, hidden {@code Linear -> ReLU} layers and a linear head. Arguments
 * from serving.properties: {@code filters=16,32}, {@code hidden=256}, {@code outputs=10}.
 */
public final class CnnBlockFactory implements BlockFactory {

  private static final long serialVersionUID = 1L;

  /**
   * Builds the block.
   *
   * @param filters the convolution widths
   * @param hidden the hidden linear widths
   * @param outputs the number of classes
   * @return the untrained block, for inputs of shape (batch, channels, height, width)
   */
  public static Block cnn(int[] filters, int[] hidden, int outputs) {
    SequentialBlock block = new SequentialBlock();
    for (int f : filters) {
      block.add(
          Conv2d.builder()
              .setKernelShape(new Shape(3, 3))
              .optPadding(new Shape(1, 1))
              .setFilters(f)
              .build());
      block.add(Activation.reluBlock());
      block.add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
    }
    block.add(Blocks.batchFlattenBlock());
    for (int width : hidden) {
      block.add(Linear.builder().setUnits(width).build());
      block.add(Activation.reluBlock());
    }
    block.add(Linear.builder().setUnits(outputs).build());
    return block;
  }

  @Override
  public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
    return cnn(
        MlpBlockFactory.parseWidths(arguments.get("filters")),
        MlpBlockFactory.parseWidths(arguments.get("hidden")),
        Integer.parseInt(MlpBlockFactory.arg(arguments, "outputs")));
  }
}
