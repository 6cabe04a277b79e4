package dev.lowrank.testing;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.util.Pair;
import dev.lowrank.runtime.LowRankConv2d;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * DJL models with convolutions and DJL's own attention for tests: a CNN with strided, non-square
 * and grouped convolutions, and a {@link TransformerEncoderBlock}; their weights are set from a
 * seeded generator, so they are the same in every run.
 */
public final class ConvBlocks {

  /** The CNN's input shape: one 3 x 12 x 12 image. */
  public static final Shape CNN_INPUT = new Shape(2, 3, 12, 12);

  /** The encoder's input shape: 2 sequences of 6 tokens of width 32. */
  public static final Shape ENCODER_INPUT = new Shape(2, 6, 32);

  private ConvBlocks() {}

  /** Builds the blocks: serving.properties {@code variant=cnn} or {@code variant=encoder}. */
  public static final class Factory implements BlockFactory {
    private static final long serialVersionUID = 1L;

    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
      return "encoder".equals(String.valueOf(arguments.get("variant"))) ? encoder() : cnn();
    }
  }

  /**
   * The CNN: conv 3->8 3x3 pad 1, conv 8->16 3x5 stride (2, 1) pad (1, 2) without bias, conv 16->16
   * 3x3 in 4 groups (stays dense), flatten, linear 10.
   *
   * @return the untrained block
   */
  public static Block cnn() {
    SequentialBlock net = new SequentialBlock();
    net.add(
        Conv2d.builder()
            .setKernelShape(new Shape(3, 3))
            .setFilters(8)
            .optPadding(new Shape(1, 1))
            .build());
    net.add(Activation.reluBlock());
    net.add(
        Conv2d.builder()
            .setKernelShape(new Shape(3, 5))
            .setFilters(16)
            .optStride(new Shape(2, 1))
            .optPadding(new Shape(1, 2))
            .optBias(false)
            .build());
    net.add(Activation.reluBlock());
    net.add(
        Conv2d.builder()
            .setKernelShape(new Shape(3, 3))
            .setFilters(16)
            .optPadding(new Shape(1, 1))
            .optGroups(4)
            .build());
    net.add(Blocks.batchFlattenBlock());
    net.add(Linear.builder().setUnits(10).build());
    return net;
  }

  /**
   * DJL's transformer encoder block: width 32, 4 heads, feed-forward 64, no dropout.
   *
   * @return the untrained block
   */
  public static Block encoder() {
    return new TransformerEncoderBlock(32, 4, 64, 0f, Activation::relu);
  }

  /**
   * Creates a model of a block, initialized and given seeded weights.
   *
   * @param block the block
   * @param input the input shape
   * @param seed the seed of the weights
   * @return the model, to be closed by the caller
   */
  public static Model model(Block block, Shape input, long seed) {
    Model model = Model.newInstance("convs", "PyTorch");
    model.setBlock(block);
    block.initialize(model.getNDManager(), DataType.FLOAT32, input);
    Random random = new Random(seed);
    for (Pair<String, Parameter> p : block.getParameters()) {
      NDArray a = p.getValue().getArray();
      float[] values = new float[Math.toIntExact(a.getShape().size())];
      boolean variance = p.getValue().getType() == Parameter.Type.RUNNING_VAR;
      for (int i = 0; i < values.length; i++) {
        values[i] = variance ? 1f : (float) (random.nextGaussian() * 0.3);
      }
      a.set(FloatBuffer.wrap(values));
    }
    return model;
  }

  /**
   * Runs a block on a seeded input.
   *
   * @param model the model
   * @param input the input shape
   * @return the output, flattened
   */
  public static float[] run(Model model, Shape input) {
    try (NDManager m = model.getNDManager().newSubManager()) {
      Random random = new Random(99);
      float[] x = new float[Math.toIntExact(input.size())];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) random.nextGaussian();
      }
      NDList out =
          model
              .getBlock()
              .forward(
                  new ai.djl.training.ParameterStore(m, false),
                  new NDList(m.create(x, input)),
                  false);
      return out.head().toFloatArray();
    }
  }

  /**
   * Returns the dense kernel a low-rank convolution computes, from its two kernels (independently
   * of the compressor's own arrangement code).
   *
   * @param low the factorized convolution
   * @return {@code C_out x C_in x kh x kw}, row-major
   */
  public static float[] product(LowRankConv2d low) {
    float[] a = low.getParameters().get(LowRankConv2d.FACTOR_A).getArray().toFloatArray();
    float[] b = low.getParameters().get(LowRankConv2d.FACTOR_B).getArray().toFloatArray();
    long[] as = low.getParameters().get(LowRankConv2d.FACTOR_A).getArray().getShape().getShape();
    long[] bs = low.getParameters().get(LowRankConv2d.FACTOR_B).getArray().getShape().getShape();
    int r = (int) as[0];
    int cin = (int) as[1];
    int cout = (int) bs[0];
    int kh = (int) as[2];
    int kw = (int) Math.max(as[3], bs[3]);
    float[] w = new float[cout * cin * kh * kw];
    for (int o = 0; o < cout; o++) {
      for (int c = 0; c < cin; c++) {
        for (int i = 0; i < kh; i++) {
          for (int j = 0; j < kw; j++) {
            double sum = 0;
            for (int k = 0; k < r; k++) {
              if (low.getForm() == LowRankConv2d.Form.CHANNEL) {
                // A[k][c][i][j], B[o][k][0][0]
                sum += (double) b[o * r + k] * a[((k * cin + c) * kh + i) * kw + j];
              } else {
                // A[k][c][i][0], B[o][k][0][j]
                sum += (double) b[(o * r + k) * kw + j] * a[(k * cin + c) * kh + i];
              }
            }
            w[((o * cin + c) * kh + i) * kw + j] = (float) sum;
          }
        }
      }
    }
    return w;
  }
}
