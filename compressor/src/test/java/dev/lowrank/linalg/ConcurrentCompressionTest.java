package dev.lowrank.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Compressions running at once in one JVM, as an inference service would run them, with different
 * thread settings: each must give what it gives alone, and the process-wide OpenBLAS thread count
 * must end where it started.
 */
class ConcurrentCompressionTest {

  private static final int COMPRESSIONS = 8;
  private static final int ROUNDS = 2;

  /**
   * What one compression produced: the report as JSON and every factor's values, layer by layer.
   */
  private record Outcome(String report, List<float[]> factors) {}

  @Test
  void eightCompressionsWithDifferentThreadSettingsGiveTheirSerialResults() throws Exception {
    int baseline = SvdBackends.blasThreads();
    // The weights are made once and shared by the serial and the concurrent compressions.
    List<List<FloatMatrix>> weights = new ArrayList<>();
    for (int i = 0; i < COMPRESSIONS; i++) {
      weights.add(
          List.of(
              AutoSvdBackendTest.defaultInit(320, 384, i),
              TestMatrices.trainedLike(256, 320, i),
              TestMatrices.gaussian(192, 256, i)));
    }
    List<Outcome> serial = new ArrayList<>();
    for (int i = 0; i < COMPRESSIONS; i++) {
      serial.add(compress(i, weights.get(i)));
    }
    assertEquals(baseline, SvdBackends.blasThreads(), "after the serial compressions");

    ExecutorService service = Executors.newFixedThreadPool(COMPRESSIONS);
    try {
      for (int round = 0; round < ROUNDS; round++) {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Outcome>> futures = new ArrayList<>();
        for (int i = 0; i < COMPRESSIONS; i++) {
          int index = i;
          futures.add(
              service.submit(
                  () -> {
                    start.await();
                    return compress(index, weights.get(index));
                  }));
        }
        start.countDown();
        for (int i = 0; i < COMPRESSIONS; i++) {
          // get() rethrows any exception of the compression.
          Outcome concurrent = futures.get(i).get();
          assertEquals(serial.get(i).report(), concurrent.report(), "report of compression " + i);
          assertEquals(serial.get(i).factors().size(), concurrent.factors().size());
          for (int f = 0; f < concurrent.factors().size(); f++) {
            assertArrayEquals(
                serial.get(i).factors().get(f),
                concurrent.factors().get(f),
                "factor " + f + " of compression " + i + " in round " + round);
          }
        }
        assertEquals(baseline, SvdBackends.blasThreads(), "after round " + round);
      }
    } finally {
      service.shutdown();
    }
  }

  /**
   * Compresses model {@code index} in memory at rank 32 with {@code 1 + index % 4} threads and the
   * default {@code auto} SVD, and returns what it produced.
   *
   * @param weights the three layers' weights
   */
  private static Outcome compress(int index, List<FloatMatrix> weights) throws Exception {
    try (Model model = model(index, weights)) {
      CompressionSpec spec =
          CompressionSpec.builder()
              .setPolicy(RankPolicy.rank(32))
              .optThreads(1 + index % 4)
              .optSeed(index)
              .build();
      CompressionResult result = Compressor.compress(model, spec);
      List<float[]> factors = new ArrayList<>();
      for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
        factors.add(p.getValue().getArray().toFloatArray());
      }
      return new Outcome(result.toJson(), factors);
    }
  }

  /**
   * A 384-320-256-192 MLP with the given weights (PyTorch's flat default initialization, a
   * trained-like power law and Gaussian values) and biases seeded by {@code index}.
   */
  private static Model model(int index, List<FloatMatrix> weights) {
    Model model = Model.newInstance("concurrent-" + index, "PyTorch");
    SequentialBlock block =
        new SequentialBlock()
            .add(Linear.builder().setUnits(320).build())
            .add(Activation::relu)
            .add(Linear.builder().setUnits(256).build())
            .add(Activation::relu)
            .add(Linear.builder().setUnits(192).build());
    block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 384));
    List<Block> linears =
        block.getChildren().values().stream().filter(b -> b instanceof Linear).toList();
    for (int i = 0; i < linears.size(); i++) {
      set(linears.get(i), weights.get(i));
    }
    SplittableRandom random = new SplittableRandom(index);
    for (Block linear : linears) {
      NDArray bias = linear.getParameters().get("bias").getArray();
      float[] values = new float[(int) bias.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) random.nextGaussian();
      }
      bias.set(FloatBuffer.wrap(values));
    }
    model.setBlock(block);
    return model;
  }

  private static void set(Block linear, FloatMatrix w) {
    linear.getParameters().get("weight").getArray().set(FloatBuffer.wrap(w.data()));
  }
}
