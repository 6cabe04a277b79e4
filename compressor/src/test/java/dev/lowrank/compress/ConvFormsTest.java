package dev.lowrank.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import dev.lowrank.format.ConvForm;
import dev.lowrank.format.LayerKind;
import dev.lowrank.linalg.ConvKernels;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.SvdMethod;
import dev.lowrank.runtime.blocks.LayerSites;
import dev.lowrank.testing.ConvBlocks;
import java.nio.FloatBuffer;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * How the compressor chooses a convolution's form: {@code auto} takes the form with the smaller
 * error at the same weights (or, for an energy, fewer weights), which on a kernel built to be
 * low-rank in one arrangement is that arrangement; the fixed forms are obeyed; without {@code
 * --conv} convolutions stay dense.
 */
class ConvFormsTest {

  private static final Shape INPUT = new Shape(1, 8, 6, 6);

  /** conv1's kernel has spatial rank 2, conv2's channel rank 2; both are 3x3 with 16 filters. */
  private static Model model() {
    SequentialBlock net = new SequentialBlock();
    net.add(conv());
    net.add(Activation.reluBlock());
    net.add(conv());
    Model model = ConvBlocks.model(net, INPUT, 5);
    Random r = new Random(6);
    // conv1: C_in 8, spatial form (8*3) x (3*16) = P Q with P 24x2, Q 2x48.
    FloatMatrix spatial = product(random(r, 24, 2), random(r, 2, 48));
    FloatMatrix w1 = ConvKernels.spatialToChannel(spatial, 16, 3, 3);
    // conv2: C_in 16, channel form 16 x 144 = U V with U 16x2, V 2x144.
    FloatMatrix w2 = product(random(r, 16, 2), random(r, 2, 144));
    set(model, "01Conv2d", w1);
    set(model, "03Conv2d", w2);
    return model;
  }

  private static Conv2d conv() {
    return Conv2d.builder()
        .setKernelShape(new Shape(3, 3))
        .setFilters(16)
        .optPadding(new Shape(1, 1))
        .build();
  }

  private static FloatMatrix random(Random r, int rows, int cols) {
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return FloatMatrix.wrap(rows, cols, v);
  }

  private static FloatMatrix product(FloatMatrix a, FloatMatrix b) {
    return a.times(b);
  }

  private static void set(Model model, String name, FloatMatrix w) {
    LayerSites.named(model.getBlock(), name)
        .block()
        .getParameters()
        .get("weight")
        .getArray()
        .set(FloatBuffer.wrap(w.data()));
  }

  private static CompressionResult compress(RankPolicy policy, ConvFormChoice form)
      throws Exception {
    try (Model m = model()) {
      return Compressor.compress(
          m,
          CompressionSpec.builder()
              .setPolicy(policy)
              .optConv(true)
              .optConvForm(form)
              .optSvd(SvdMethod.EXACT)
              .build());
    }
  }

  @Test
  void autoTakesTheFormInWhichTheKernelIsLowRank() throws Exception {
    CompressionResult r = compress(RankPolicy.rank(2), ConvFormChoice.AUTO);
    LayerResult conv1 = r.layer("01Conv2d").orElseThrow();
    LayerResult conv2 = r.layer("03Conv2d").orElseThrow();
    assertEquals(Optional.of(ConvForm.SPATIAL), conv1.form());
    assertEquals(Optional.of(ConvForm.CHANNEL), conv2.form());
    assertTrue(conv1.relativeError() < 1e-4, "spatial rank 2 is exact: " + conv1);
    assertTrue(conv2.relativeError() < 1e-4, "channel rank 2 is exact: " + conv2);
    // rank 2 in the channel form costs 2 (16 + 72) = 176 weights; the spatial form gets as many.
    assertEquals(2, conv1.rank().getAsInt());
    assertTrue(conv1.parametersAfter() - 16 <= 176, conv1.toString());
    assertEquals(2 * (16 + 144) + 16, conv2.parametersAfter());
    assertEquals(r.settings().get("conv"), "auto");
  }

  @Test
  void autoWithAnEnergyTakesTheFormThatNeedsFewerWeights() throws Exception {
    CompressionResult r = compress(RankPolicy.energy(0.999), ConvFormChoice.AUTO);
    LayerResult conv1 = r.layer("01Conv2d").orElseThrow();
    assertEquals(Optional.of(ConvForm.SPATIAL), conv1.form());
    assertEquals(2, conv1.rank().getAsInt());
    assertEquals(2 * (24 + 48) + 16, conv1.parametersAfter(), "r (C_in kh + kw C_out) + bias");
    assertEquals(Optional.of(ConvForm.CHANNEL), r.layer("03Conv2d").orElseThrow().form());
  }

  @Test
  void aFixedFormIsObeyedAndCountedExactly() throws Exception {
    CompressionResult channel = compress(RankPolicy.rank(2), ConvFormChoice.CHANNEL);
    LayerResult conv1 = channel.layer("01Conv2d").orElseThrow();
    assertEquals(Optional.of(ConvForm.CHANNEL), conv1.form());
    assertTrue(conv1.relativeError() > 0.1, "this kernel is not low-rank in channel form");
    assertEquals(2 * (16 + 72) + 16, conv1.parametersAfter());
    CompressionResult spatial = compress(RankPolicy.rank(2), ConvFormChoice.SPATIAL);
    LayerResult conv2 = spatial.layer("03Conv2d").orElseThrow();
    assertEquals(Optional.of(ConvForm.SPATIAL), conv2.form());
    assertEquals(2 * (48 + 48) + 16, conv2.parametersAfter());
    long saved = 0;
    for (LayerResult l : spatial.layers()) {
      saved += l.parametersBefore() - l.parametersAfter();
    }
    assertEquals(spatial.parametersOriginal() - saved, spatial.parametersCompressed());
  }

  @Test
  void withoutConvConvolutionsStayDenseAndSayWhy() throws Exception {
    try (Model m = model()) {
      CompressionResult r =
          Compressor.compress(m, CompressionSpec.builder().setPolicy(RankPolicy.rank(2)).build());
      assertEquals(0, r.factorizedLayers().size());
      for (LayerResult l : r.layers()) {
        assertEquals(LayerKind.CONV2D, l.layer().kind());
        assertTrue(l.reason().orElseThrow().contains("--conv"), l.toString());
      }
      assertEquals(r.parametersOriginal(), r.parametersCompressed());
      assertTrue(
          !r.settings().containsKey("conv"), "the settings of linear-only runs are unchanged");
    }
  }

  @Test
  void aGlobalBudgetCoversConvolutionsInTheirForms() throws Exception {
    try (Model m = model()) {
      CompressionResult r =
          Compressor.compress(
              m,
              CompressionSpec.builder()
                  .setPolicy(RankPolicy.ratio(0.3))
                  .optScope(Scope.GLOBAL)
                  .optConv(true)
                  .optSvd(SvdMethod.EXACT)
                  .build());
      assertEquals(Optional.of(ConvForm.SPATIAL), r.layer("01Conv2d").orElseThrow().form());
      assertEquals(Optional.of(ConvForm.CHANNEL), r.layer("03Conv2d").orElseThrow().form());
      long weights = 0;
      long dense = 0;
      for (LayerResult l : r.layers()) {
        weights += l.parametersAfter() - 16;
        dense += l.parametersBefore() - 16;
      }
      assertTrue(weights <= 0.3 * dense, weights + " of " + dense);
      assertTrue(r.layer("01Conv2d").orElseThrow().relativeError() < 1e-4);
    }
  }
}
