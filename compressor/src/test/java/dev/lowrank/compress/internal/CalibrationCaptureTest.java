package dev.lowrank.compress.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import dev.lowrank.compress.Calibration;
import dev.lowrank.data.Tensor;
import dev.lowrank.format.Layer;
import dev.lowrank.format.djl.DjlSourceModel;
import dev.lowrank.linalg.SymmetricMatrix;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The capture of input statistics on a model with two inputs ({@code x} and {@code attention_mask},
 * as a text encoder takes them): padding positions are left out of every per-token layer's
 * statistics and a pooled layer sees every sample, checked against sums over the unpadded rows.
 */
class CalibrationCaptureTest {

  private static final int SEQ = 6;
  private static final int WIDTH = 8;
  private static final int HIDDEN = 12;

  /** Per-token linear, masked mean pooling, a head on the pooled vector. */
  static final class MaskedEncoder extends AbstractBlock {
    private final Linear token;
    private final Linear head;

    MaskedEncoder() {
      token = addChildBlock("token", Linear.builder().setUnits(HIDDEN).build());
      head = addChildBlock("head", Linear.builder().setUnits(4).build());
    }

    @Override
    protected NDList forwardInternal(
        ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
      NDArray x = inputs.get(0);
      NDArray mask = inputs.get(1).toType(DataType.FLOAT32, false);
      NDArray h = token.forward(ps, new NDList(x), training).head().getNDArrayInternal().relu();
      NDArray weights = mask.expandDims(2);
      NDArray pooled = h.mul(weights).sum(new int[] {1}).div(weights.sum(new int[] {1}));
      return head.forward(ps, new NDList(pooled), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
      return new Shape[] {new Shape(inputShapes[0].get(0), 4)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
      token.initialize(manager, dataType, shapes[0]);
      head.initialize(manager, dataType, new Shape(shapes[0].get(0), HIDDEN));
    }

    @Override
    public PairList<String, Shape> describeInput() {
      PairList<String, Shape> d = new PairList<>();
      d.add("x", new Shape(-1, SEQ, WIDTH));
      d.add("attention_mask", new Shape(-1, SEQ));
      return d;
    }
  }

  @Test
  void paddingIsLeftOutOfPerTokenStatisticsOnly() throws Exception {
    SplittableRandom random = new SplittableRandom(3);
    int batches = 3;
    int perBatch = 4;
    List<List<Tensor>> data = new ArrayList<>();
    List<float[]> kept = new ArrayList<>();
    int realTokens = 0;
    for (int b = 0; b < batches; b++) {
      float[] x = new float[perBatch * SEQ * WIDTH];
      long[] mask = new long[perBatch * SEQ];
      for (int s = 0; s < perBatch; s++) {
        int length = 1 + random.nextInt(SEQ);
        for (int p = 0; p < SEQ; p++) {
          boolean real = p < length;
          mask[s * SEQ + p] = real ? 1 : 0;
          float[] row = new float[WIDTH];
          for (int j = 0; j < WIDTH; j++) {
            // Padding holds huge values: any leak into the statistics would show.
            row[j] = real ? (float) random.nextGaussian() : 1000f;
          }
          System.arraycopy(row, 0, x, (s * SEQ + p) * WIDTH, WIDTH);
          if (real) {
            kept.add(row);
            realTokens++;
          }
        }
      }
      data.add(
          List.of(
              Tensor.ofFloats("x", new long[] {perBatch, SEQ, WIDTH}, x),
              Tensor.ofLongs("attention_mask", new long[] {perBatch, SEQ}, mask)));
    }
    try (Model model = Model.newInstance("masked", "PyTorch")) {
      MaskedEncoder block = new MaskedEncoder();
      block.setInitializer(new NormalInitializer(), ai.djl.nn.Parameter.Type.WEIGHT);
      model.setBlock(block);
      block.initialize(
          model.getNDManager(), DataType.FLOAT32, new Shape(2, SEQ, WIDTH), new Shape(2, SEQ));
      DjlSourceModel source = DjlSourceModel.wrap(model);
      List<Layer> layers = source.layers();
      Calibration calibration = Calibration.builder().setBatches(data).build();
      CalibrationStatistics stats = CalibrationCapture.capture(source, layers, calibration, true);
      assertEquals(Optional.of("attention_mask"), stats.summary().mask());
      assertEquals(realTokens, stats.summary().tokens(), "tokens are the unpadded positions");
      Layer token = layers.stream().filter(l -> l.name().contains("token")).findFirst().get();
      Layer head = layers.stream().filter(l -> l.name().contains("head")).findFirst().get();
      CalibrationStatistics.Group g = stats.group(token.name()).orElseThrow();
      assertEquals(realTokens, g.stats().rows(), "padding rows left out");
      SymmetricMatrix gram = g.stats().gram();
      for (int i = 0; i < WIDTH; i++) {
        for (int j = 0; j < WIDTH; j++) {
          double expected = 0;
          for (float[] row : kept) {
            expected += (double) row[i] * row[j];
          }
          assertEquals(expected, gram.get(i, j), 1e-6 * (1 + Math.abs(expected)));
        }
      }
      assertEquals(
          batches * perBatch,
          stats.group(head.name()).orElseThrow().stats().rows(),
          "the pooled layer's input [batch, hidden] is not masked");
      assertTrue(stats.summary().sharedInputs().isEmpty());
      assertEquals(List.of(token.name(), head.name()), stats.callOrder());
    }
  }
}
