package dev.lowrank.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.data.Tensor;
import dev.lowrank.datasets.Digits;
import dev.lowrank.format.ConvForm;
import dev.lowrank.format.LayerInputObserver;
import dev.lowrank.format.LayerKind;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.torchscript.TorchScriptFixtures;
import dev.lowrank.linalg.SvdMethod;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-aware compression of convolutions through the public API, on the digits CNN fixture (trained
 * on the digits, calibrated on 256 samples of the training split): sequential fitting fits the
 * convolutions in the channel form and lowers the model's output error on the test split; with an
 * energy on the data or a global budget, {@code auto} takes the channel form and the report says
 * why; with {@code --method plain} the forms, ranks and factors are those of a compression without
 * data.
 */
class ConvCalibrationTest {

  private static final Dataset TEST = Digits.test();

  @TempDir Path tmp;

  private Path cnn() {
    return TorchScriptFixtures.get("cnn_scripted.pt").copyTo(tmp);
  }

  private static Calibration calibration() {
    int[] rows = new int[256];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = i;
    }
    return Calibration.builder()
        .setData(Digits.train().select(rows))
        .optSamples(rows.length)
        .optInputShape(SampleShape.of(1, 8, 8))
        .build();
  }

  private static CompressionSpec.Builder spec(RankPolicy policy) {
    return CompressionSpec.builder()
        .setPolicy(policy)
        .optConv(true)
        .optConvForm(ConvFormChoice.AUTO)
        .optSvd(SvdMethod.EXACT);
  }

  private static float[] logits(Path model) throws Exception {
    try (SourceModel m = ModelFormats.open(model);
        ModelRunner r = m.runner(Set.of())) {
      Tensor x = Tensor.ofFloats("x", new long[] {TEST.size(), 1, 8, 8}, TEST.flatFeatures());
      return r.run(List.of(x), LayerInputObserver.NONE).get(0).floats();
    }
  }

  private static double relativeError(float[] reference, float[] y) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < y.length; i++) {
      double d = (double) y[i] - reference[i];
      num += d * d;
      den += (double) reference[i] * reference[i];
    }
    return Math.sqrt(num / den);
  }

  @Test
  void sequentialFittingOfConvolutionsLowersTheOutputError() throws Exception {
    Path in = cnn();
    float[] reference = logits(in);
    double[] errors = new double[2];
    for (boolean sequential : new boolean[] {false, true}) {
      Path out = tmp.resolve("cnn_seq_" + sequential + ".pt");
      CompressionResult r =
          Compressor.compress(
              in,
              out,
              spec(RankPolicy.rank(4))
                  .optRule("fc*", RankPolicy.dense())
                  .optCalibration(calibration())
                  .optSequential(sequential)
                  .build());
      for (String conv : List.of("conv1", "conv2")) {
        LayerResult l = r.layer(conv).orElseThrow();
        assertTrue(l.factorized(), l.toString());
        assertEquals(Optional.of(ConvForm.CHANNEL), l.form(), conv);
        DataFit fit = l.data().orElseThrow();
        assertEquals(sequential, fit.sequential(), conv);
        if (sequential) {
          assertTrue(fit.note().orElseThrow().contains("sequential fitting"), fit.toString());
        }
      }
      errors[sequential ? 1 : 0] = relativeError(reference, logits(out));
    }
    assertTrue(
        errors[1] < errors[0],
        "the output error on the test split: sequential "
            + errors[1]
            + ", whitened layer by layer "
            + errors[0]);
  }

  @Test
  void energyAndGlobalBudgetsOnTheDataTakeTheChannelFormAndSayWhy() throws Exception {
    Path in = cnn();
    CompressionResult energy =
        Compressor.compress(
            in,
            tmp.resolve("cnn_energy.pt"),
            spec(RankPolicy.energy(0.9)).optCalibration(calibration()).build());
    CompressionResult global =
        Compressor.compress(
            in,
            tmp.resolve("cnn_global.pt"),
            spec(RankPolicy.ratio(0.3))
                .optScope(Scope.GLOBAL)
                .optCalibration(calibration())
                .build());
    for (CompressionResult r : List.of(energy, global)) {
      List<LayerResult> convs =
          r.factorizedLayers().stream().filter(l -> l.layer().kind() == LayerKind.CONV2D).toList();
      assertFalse(convs.isEmpty(), r.layers().toString());
      for (LayerResult l : convs) {
        assertEquals(Optional.of(ConvForm.CHANNEL), l.form(), l.name());
        DataFit fit = l.data().orElseThrow();
        assertTrue(fit.optimality() <= 1.01, l.name() + ": " + fit);
        String why = r == energy ? "output energy on the data" : "global budget";
        assertTrue(fit.note().orElseThrow().contains(why), fit.toString());
      }
    }
    // Kept energies are those on the data: at least 0.9 of each convolution's output energy.
    for (LayerResult l : energy.factorizedLayers()) {
      assertTrue(l.data().orElseThrow().dataEnergyKept() >= 0.9 - 1e-4, l.toString());
    }
  }

  @Test
  void plainWithCalibrationChoosesFormsAsWithout() throws Exception {
    Path in = cnn();
    CompressionResult without =
        Compressor.compress(in, tmp.resolve("cnn_plain.pt"), spec(RankPolicy.rank(4)).build());
    CompressionResult with =
        Compressor.compress(
            in,
            tmp.resolve("cnn_plain_data.pt"),
            spec(RankPolicy.rank(4))
                .optCalibration(calibration())
                .optMethod(TruncationMethod.PLAIN)
                .build());
    for (LayerResult a : without.layers()) {
      LayerResult b = with.layer(a.name()).orElseThrow();
      assertEquals(a.form(), b.form(), a.name());
      assertEquals(a.rank(), b.rank(), a.name());
      assertEquals(a.relativeError(), b.relativeError(), 1e-6, a.name());
      assertTrue(b.data().isPresent(), "plain still reports the data figures: " + b);
      assertEquals(TruncationMethod.PLAIN, b.data().get().method());
    }
  }
}
