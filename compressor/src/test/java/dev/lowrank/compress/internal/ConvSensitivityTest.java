package dev.lowrank.compress.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.LayerSpectrum;
import dev.lowrank.compress.TruncationMethod;
import dev.lowrank.data.SampleShape;
import dev.lowrank.datasets.Digits;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.torchscript.TorchScriptFixtures;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.SvdBackends;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sensitivity allocation measures convolutions too: on the digits CNN fixture each layer,
 * convolutions included, is truncated in place (a convolution's kernel from its channel form) and
 * gets a weight of its own. A layer the runner could not replace would get the largest weight of
 * the others, so two layers with the same weight would show one was skipped.
 */
class ConvSensitivityTest {

  @TempDir Path tmp;

  @Test
  void everyLayerIncludingConvolutionsGetsAMeasuredWeight() throws Exception {
    Path model = TorchScriptFixtures.get("cnn_scripted.pt").copyTo(tmp);
    int[] rows = new int[128];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = i;
    }
    Calibration calibration =
        Calibration.builder()
            .setData(Digits.train().select(rows))
            .optSamples(rows.length)
            .optInputShape(SampleShape.of(1, 8, 8))
            .optSensitivitySamples(64)
            .build();
    try (SourceModel source = ModelFormats.open(model)) {
      List<Layer> layers = source.layers();
      assertEquals(
          List.of("conv1", "conv2", "fc1", "fc2"), layers.stream().map(Layer::name).toList());
      CalibrationStatistics stats = CalibrationCapture.capture(source, layers, calibration, true);
      DataAware data = new DataAware(stats, TruncationMethod.WHITENED, 0.5);
      Map<String, Optional<LayerSpectrum>> spectra = new LinkedHashMap<>();
      for (Layer l : layers) {
        data.expect(l.name());
        FloatMatrix w = source.readWeight(l);
        spectra.put(l.name(), Spectra.of(l, data.prepare(l, w).orElseThrow().scaled()));
        data.done(l);
      }
      Map<String, Double> weights =
          Sensitivity.measure(source, data, layers, spectra, SvdBackends.exact(), calibration);
      assertEquals(layers.size(), weights.size());
      assertEquals(
          layers.size(),
          new HashSet<>(weights.values()).size(),
          "each layer was measured, none took the largest weight in its place: " + weights);
      for (double w : weights.values()) {
        assertTrue(w > 0 && Double.isFinite(w), weights.toString());
      }
    }
  }
}
