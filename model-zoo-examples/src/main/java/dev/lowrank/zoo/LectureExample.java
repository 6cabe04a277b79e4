package dev.lowrank.zoo;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.io.InputFileException;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.runtime.LowRankLinear;
import java.nio.FloatBuffer;
import java.util.Random;

/**
 * The lecture's example, run through the real tool: a DJL {@code Linear} layer with a 10 x 10
 * weight {@code W} of rank 2 is compressed at rank 2 into {@code B} (10 x 2) and {@code A} (2 x
 * 10); 100 weights become 40 and {@code y = W x + b} is unchanged.
 */
public final class LectureExample {

  private static final int N = 10;
  private static final int RANK = 2;

  private LectureExample() {}

  /**
   * What the example computed.
   *
   * @param w the dense weight, 10 x 10, of rank 2
   * @param b the factor B, 10 x 2
   * @param a the factor A, 2 x 10
   * @param x the input vector
   * @param y {@code W x + bias} from the dense layer
   * @param yLowRank {@code B (A x) + bias} from the compressed layer
   * @param compression the compressor's report
   */
  public record Result(
      FloatMatrix w,
      FloatMatrix b,
      FloatMatrix a,
      float[] x,
      float[] y,
      float[] yLowRank,
      CompressionResult compression) {

    /**
     * Returns {@code max_i |y_i - y'_i|}.
     *
     * @return the largest difference between the two outputs
     */
    public double maxDifference() {
      double max = 0;
      for (int i = 0; i < y.length; i++) {
        max = Math.max(max, Math.abs((double) y[i] - yLowRank[i]));
      }
      return max;
    }

    /**
     * Returns {@code max_i |y_i|}, the scale of the outputs.
     *
     * @return the largest output magnitude
     */
    public double outputScale() {
      double max = 0;
      for (float v : y) {
        max = Math.max(max, Math.abs(v));
      }
      return max;
    }
  }

  /**
   * Runs the example.
   *
   * @param seed the seed of W's factors, the bias and x
   * @return what it computed
   * @throws InputFileException if the compressor refuses the layer (it should not)
   */
  public static Result run(long seed) throws InputFileException {
    Random random = new Random(seed);
    float[] u = gaussian(random, N * RANK);
    float[] v = gaussian(random, N * RANK);
    float[] w = FloatMatrix.wrap(N, RANK, u).times(FloatMatrix.wrap(RANK, N, v)).data();
    float[] bias = gaussian(random, N);
    float[] x = gaussian(random, N);
    try (Model model = Model.newInstance("lecture", "PyTorch");
        NDManager manager = model.getNDManager().newSubManager()) {
      Linear linear = Linear.builder().setUnits(N).build();
      model.setBlock(linear);
      linear.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, N));
      set(linear.getParameters().get("weight"), w);
      set(linear.getParameters().get("bias"), bias);
      NDArray input = manager.create(x, new Shape(1, N));
      float[] y = forward(model, input);
      CompressionResult report =
          Compressor.compress(
              model, CompressionSpec.builder().setPolicy(RankPolicy.rank(RANK)).build());
      LowRankLinear low = (LowRankLinear) model.getBlock();
      float[] yLowRank = forward(model, input);
      NDArray a = low.getParameters().get(LowRankLinear.FACTOR_A).getArray();
      NDArray b = low.getParameters().get(LowRankLinear.FACTOR_B).getArray();
      return new Result(
          FloatMatrix.wrap(N, N, w),
          FloatMatrix.wrap(N, RANK, b.toFloatArray()),
          FloatMatrix.wrap(RANK, N, a.toFloatArray()),
          x,
          y,
          yLowRank,
          report);
    }
  }

  private static float[] forward(Model model, NDArray input) {
    NDList out =
        model
            .getBlock()
            .forward(new ParameterStore(input.getManager(), false), new NDList(input), false);
    return out.head().toFloatArray();
  }

  private static void set(Parameter parameter, float[] values) {
    parameter.getArray().set(FloatBuffer.wrap(values));
  }

  private static float[] gaussian(Random random, int size) {
    float[] out = new float[size];
    for (int i = 0; i < size; i++) {
      out[i] = (float) random.nextGaussian();
    }
    return out;
  }
}
