package dev.lowrank.format.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.ConvFormChoice;
import dev.lowrank.compress.DataFit;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.compress.TruncationMethod;
import dev.lowrank.data.Tensor;
import dev.lowrank.format.ConvForm;
import dev.lowrank.format.ConvGeometry;
import dev.lowrank.format.LayerInputObserver;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.linalg.SvdMethod;
import dev.lowrank.runtime.LowRankConv2d;
import dev.lowrank.runtime.blocks.LayerSites;
import dev.lowrank.testing.ConvBlocks;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Data-aware truncation of DJL {@code Conv2d} blocks, judged by the convolutions themselves: on
 * smooth, correlated images (as real ones are), each factorized convolution's output error {@code
 * ||conv(X, W - W')||_F / ||conv(X, W)||_F} over the layer's inputs, computed by DJL's own {@code
 * conv2d} with the original stride and padding (not from any patch matrix), equals the data error
 * the report states; whitened factors reach the optimum the report states (within 1.01x) and lose
 * less than the plain ones at the same rank; the compressed model still runs.
 */
class DjlConvCalibrationTest {

  private static final List<String> CONVS = List.of("01Conv2d", "03Conv2d");
  private static final int BATCHES = 6;
  private static final int PER_BATCH = 8;

  /** Images of a few low-frequency waves shared by the channels, and a little noise. */
  private static List<List<Tensor>> images() {
    SplittableRandom random = new SplittableRandom(11);
    List<List<Tensor>> batches = new ArrayList<>();
    for (int b = 0; b < BATCHES; b++) {
      long[] shape = {PER_BATCH, 3, 12, 12};
      float[] x = new float[PER_BATCH * 3 * 144];
      for (int n = 0; n < PER_BATCH; n++) {
        double[][] waves = new double[3][4];
        for (double[] w : waves) {
          w[0] = random.nextDouble(0.1, 0.6);
          w[1] = random.nextDouble(0.1, 0.6);
          w[2] = random.nextDouble(0, 2 * Math.PI);
          w[3] = random.nextGaussian();
        }
        for (int c = 0; c < 3; c++) {
          double mix = 0.5 + 0.25 * c;
          for (int h = 0; h < 12; h++) {
            for (int v = 0; v < 12; v++) {
              double value = 0.05 * random.nextGaussian() + 0.3;
              for (double[] w : waves) {
                value += mix * w[3] * Math.sin(w[0] * h + w[1] * v + w[2] + c);
              }
              x[((n * 3 + c) * 12 + h) * 12 + v] = (float) value;
            }
          }
        }
      }
      batches.add(List.of(Tensor.ofFloats("x", shape, x)));
    }
    return batches;
  }

  private static CompressionSpec spec(TruncationMethod method) {
    return CompressionSpec.builder()
        .setPolicy(RankPolicy.rank(2))
        .optConv(true)
        .optConvForm(ConvFormChoice.CHANNEL)
        .optSvd(SvdMethod.EXACT)
        .optCalibration(Calibration.builder().setBatches(images()).build())
        .optMethod(method)
        .build();
  }

  /** Every input each convolution receives in the dense model, over all calibration batches. */
  private static Map<String, List<Tensor>> inputs(Model model) throws Exception {
    Map<String, List<Tensor>> seen = new LinkedHashMap<>();
    try (ModelRunner runner = DjlSourceModel.wrap(model).runner(new LinkedHashSet<>(CONVS))) {
      for (List<Tensor> batch : images()) {
        runner.run(
            batch,
            (layer, input) -> seen.computeIfAbsent(layer, k -> new ArrayList<>()).add(input));
      }
    }
    return seen;
  }

  /** {@code ||conv(X, W - W')|| / ||conv(X, W)||} over the inputs, by DJL's conv2d. */
  private static double outputError(
      Conv2d dense, float[] approx, ConvGeometry g, List<Tensor> inputs) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray w = dense.getParameters().get("weight").getArray().duplicate();
      w.attach(m);
      NDArray diff = w.sub(m.create(approx, w.getShape()));
      NDArray zero = m.zeros(new Shape(g.outChannels()));
      Shape stride = new Shape(g.strideHeight(), g.strideWidth());
      Shape padding = new Shape(g.padHeight(), g.padWidth());
      Shape dilation = new Shape(g.dilationHeight(), g.dilationWidth());
      double lost = 0;
      double total = 0;
      for (Tensor t : inputs) {
        NDArray x = m.create(t.floats(), new Shape(t.shape()));
        NDList y = Conv2d.conv2d(x, w, zero, stride, padding, dilation, 1);
        NDList e = Conv2d.conv2d(x, diff, zero, stride, padding, dilation, 1);
        total += squared(y.head());
        lost += squared(e.head());
      }
      return Math.sqrt(lost / total);
    }
  }

  private static double squared(NDArray a) {
    double s = 0;
    for (float v : a.toFloatArray()) {
      s += (double) v * v;
    }
    return s;
  }

  @Test
  void whitenedConvolutionsLoseLessOfTheirOutputOnTheData() throws Exception {
    Map<String, Double> plainErrors = new LinkedHashMap<>();
    Map<String, Double> whitenedErrors = new LinkedHashMap<>();
    for (TruncationMethod method : List.of(TruncationMethod.PLAIN, TruncationMethod.WHITENED)) {
      // The same seed twice: one model is compressed in place, the other keeps the dense kernels.
      try (Model model = ConvBlocks.model(ConvBlocks.cnn(), ConvBlocks.CNN_INPUT, 4);
          Model dense = ConvBlocks.model(ConvBlocks.cnn(), ConvBlocks.CNN_INPUT, 4)) {
        Map<String, List<Tensor>> inputs = inputs(dense);
        CompressionResult result = Compressor.compress(model, spec(method));
        for (String name : CONVS) {
          LayerResult r = result.layer(name).orElseThrow();
          assertTrue(r.factorized(), r.toString());
          assertEquals(Optional.of(ConvForm.CHANNEL), r.form());
          DataFit fit = r.data().orElseThrow(() -> new AssertionError(name + " has no data"));
          assertEquals(method, fit.method());
          LowRankConv2d low =
              assertInstanceOf(
                  LowRankConv2d.class, LayerSites.named(model.getBlock(), name).block());
          double measured =
              outputError(
                  (Conv2d) LayerSites.named(dense.getBlock(), name).block(),
                  ConvBlocks.product(low),
                  r.layer().conv().orElseThrow(),
                  inputs.get(name));
          assertEquals(
              measured,
              fit.dataError(),
              1e-3 * measured,
              name + " (" + method.cliName() + "): the stated data error is the output's");
          if (method == TruncationMethod.WHITENED) {
            assertTrue(
                fit.optimality() <= 1.01,
                name + ": " + fit.optimality() + "x the data-weighted optimum");
            whitenedErrors.put(name, measured);
          } else {
            plainErrors.put(name, measured);
          }
        }
        assertEquals(
            BATCHES * PER_BATCH,
            result.calibration().orElseThrow().tokens(),
            "a convolution counts images, not patches");
        // The compressed model runs on a batch and gives outputs of the dense shape.
        try (ModelRunner runner = DjlSourceModel.wrap(model).runner(Set.of())) {
          Tensor out = runner.run(images().get(0), LayerInputObserver.NONE).get(0);
          assertArrayEquals(new long[] {PER_BATCH, 10}, out.shape());
          for (float v : out.floats()) {
            assertTrue(Float.isFinite(v));
          }
        }
      }
    }
    for (String name : CONVS) {
      assertTrue(
          whitenedErrors.get(name) < 0.9 * plainErrors.get(name),
          name
              + ": whitened "
              + whitenedErrors.get(name)
              + ", plain "
              + plainErrors.get(name)
              + " at rank 2");
    }
  }
}
