package dev.lowrank.zoo.blocks;

import ai.djl.Model;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Builds a multilayer perceptron: {@code Linear -> ReLU} for each hidden width, then a linear head.
 * The widths come from the model's {@code serving.properties}: {@code hidden=128,64} and {@code
 * outputs=10}.
 */
public final class MlpBlockFactory implements BlockFactory {

  private static final long serialVersionUID = 1L;

  /**
   * Builds the block for given widths.
   *
   * @param hidden the hidden layer widths, input side first
   * @param outputs the number of classes
   * @return the untrained block
   */
  public static Block mlp(int[] hidden, int outputs) {
    SequentialBlock block = new SequentialBlock();
    for (int width : hidden) {
      block.add(Linear.builder().setUnits(width).build());
      block.add(Activation.reluBlock());
    }
    block.add(Linear.builder().setUnits(outputs).build());
    return block;
  }

  @Override
  public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
    return mlp(parseWidths(arguments.get("hidden")), Integer.parseInt(arg(arguments, "outputs")));
  }

  static int[] parseWidths(Object value) {
    if (value == null || value.toString().isBlank()) {
      throw new IllegalArgumentException("serving.properties needs hidden=<w1,w2,...>");
    }
    return Arrays.stream(value.toString().split(","))
        .map(String::trim)
        .mapToInt(Integer::parseInt)
        .toArray();
  }

  static String arg(Map<String, ?> arguments, String key) {
    Object v = arguments.get(key);
    if (v == null) {
      throw new IllegalArgumentException("serving.properties needs " + key + "=<value>");
    }
    return v.toString();
  }
}
