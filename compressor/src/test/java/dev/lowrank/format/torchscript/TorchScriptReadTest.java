package dev.lowrank.format.torchscript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.format.ConvGeometry;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerKind;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.torchscript.TorchScriptFixtures.Fixture;
import dev.lowrank.format.torchscript.TorchScriptFixtures.FixtureLayer;
import dev.lowrank.linalg.FloatMatrix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Reads every fixture and compares what lowrank sees with what PyTorch reported. */
class TorchScriptReadTest {

  @TempDir Path dir;

  static Stream<Fixture> fixtures() {
    return TorchScriptFixtures.all().stream();
  }

  @ParameterizedTest
  @MethodSource("fixtures")
  void layersAndParameterCountMatchPyTorch(Fixture f) throws Exception {
    try (SourceModel m = ModelFormats.open(f.copyTo(dir))) {
      assertEquals("torchscript", m.format().name());
      assertEquals(f.parameters(), m.parameterCount(), "named_parameters() count");
      List<Layer> layers = TorchScriptFixtures.linearModules(m.layers());
      assertEquals(
          f.layers().stream().map(FixtureLayer::name).toList(),
          layers.stream().map(Layer::name).toList());
      for (int i = 0; i < layers.size(); i++) {
        FixtureLayer want = f.layers().get(i);
        Layer got = layers.get(i);
        assertEquals(want.outFeatures(), got.outFeatures(), want.name());
        assertEquals(want.inFeatures(), got.inFeatures(), want.name());
        assertEquals(want.bias(), got.hasBias(), want.name());
        assertTrue(got.lowRank().isEmpty(), want.name());
      }
    }
  }

  @ParameterizedTest
  @MethodSource("fixtures")
  void weightsAreReadWithTheirLayout(Fixture f) throws Exception {
    try (SourceModel m = ModelFormats.open(f.copyTo(dir))) {
      List<Layer> linears = TorchScriptFixtures.linearModules(m.layers());
      for (int i = 0; i < f.layers().size(); i++) {
        FixtureLayer want = f.layers().get(i);
        FloatMatrix w = m.readWeight(linears.get(i));
        assertEquals(want.outFeatures(), w.rows());
        assertEquals(want.inFeatures(), w.cols());
        double sum = 0;
        for (int r = 0; r < w.rows(); r++) {
          for (int c = 0; c < w.cols(); c++) {
            sum += (double) w.get(r, c) * (r + 1) * (c + 2);
          }
        }
        assertEquals(want.weightChecksum(), sum, 1e-6 * Math.max(1, Math.abs(sum)), want.name());
      }
    }
  }

  /** Which layers must stay dense, and why, in each fixture. */
  @ParameterizedTest
  @MethodSource("fixtures")
  void exactlyTheLayersOthersReadAreIneligible(Fixture f) throws Exception {
    Map<String, String> expected = new LinkedHashMap<>();
    String traced = f.kind().equals("traced") ? "traced" : "scripted";
    switch (f.model()) {
      case "transformer" -> {
        // Scripted: lowrank writes the attention forward and the encoders' regular path, so
        // every layer of the encoder may be factorized. Traced in eval mode: each layer is one
        // fused op fed with all the weights.
        if (traced.equals("traced")) {
          for (int l = 0; l < 2; l++) {
            String layer = "enc.layers." + l;
            String fused =
                layer
                    + " (TransformerEncoderLayer), whose traced forward calls"
                    + " torch._transformer_encoder_layer_fwd (PyTorch's fused encoder path, baked in"
                    + " when the model was traced; script the model with torch.jit.script to"
                    + " compress these layers)";
            String noForward =
                "class MultiheadAttention has no forward (a traced model: its caller computes the"
                    + " attention with the weights inline); script the model (torch.jit.script) to"
                    + " compress it; in_proj_weight read directly by "
                    + fused;
            for (String p : List.of("q", "k", "v")) {
              expected.put(layer + ".self_attn.in_proj_" + p, noForward);
            }
            expected.put(layer + ".self_attn.out_proj", "weight read directly by " + fused);
            expected.put(layer + ".linear1", "weight read directly by " + fused);
            expected.put(layer + ".linear2", "weight read directly by " + fused);
          }
        }
      }
      case "edge" -> {
        expected.put("proj", "weight read directly by the top-level module (Edge)");
        expected.put("scale", "forward of ScaledLinear is not the plain linear op");
        String tied = "weight tensor is shared with another attribute (tied weights)";
        if (traced.equals("scripted")) {
          expected.put("twin_a", tied);
          expected.put("twin_b", tied);
        } else {
          // The trace reads the shared weight through twin_a in the top-level forward.
          expected.put("twin_a", "weight read directly by the top-level module (Edge); " + tied);
          expected.put("twin_b", "forward of Linear is not the plain linear op; " + tied);
        }
      }
      default -> {}
    }
    try (SourceModel m = ModelFormats.open(f.copyTo(dir))) {
      Map<String, String> actual =
          m.layers().stream()
              .filter(l -> l.ineligible().isPresent())
              .collect(
                  Collectors.toMap(
                      Layer::name, l -> l.ineligible().get(), (a, b) -> a, LinkedHashMap::new));
      assertEquals(expected, actual);
    }
  }

  /** Convolutions and attention projections are layers of their own kinds, in module order. */
  @ParameterizedTest
  @MethodSource("fixtures")
  void convolutionsAndProjectionsAreListed(Fixture f) throws Exception {
    try (SourceModel m = ModelFormats.open(f.copyTo(dir))) {
      List<String> names = m.layers().stream().map(Layer::name).toList();
      switch (f.model()) {
        case "cnn" -> {
          assertEquals(List.of("conv1", "conv2", "fc1", "fc2"), names);
          Layer conv2 = m.layers().get(1);
          assertEquals(LayerKind.CONV2D, conv2.kind());
          assertEquals(Optional.of(ConvGeometry.of(32, 16, 3, 3, 1, 1)), conv2.conv());
          assertEquals("32x144", conv2.shape(), "the channel form C_out x C_in kh kw");
          assertEquals(32 * 144 + 32, conv2.parameters());
          assertTrue(conv2.factorizable(), conv2.toString());
          FloatMatrix w = m.readWeight(conv2);
          assertEquals(32, w.rows());
          assertEquals(144, w.cols());
        }
        case "transformer" -> {
          assertEquals(
              List.of(
                  "embed",
                  "enc.layers.0.self_attn.in_proj_q",
                  "enc.layers.0.self_attn.in_proj_k",
                  "enc.layers.0.self_attn.in_proj_v",
                  "enc.layers.0.self_attn.out_proj",
                  "enc.layers.0.linear1",
                  "enc.layers.0.linear2",
                  "enc.layers.1.self_attn.in_proj_q",
                  "enc.layers.1.self_attn.in_proj_k",
                  "enc.layers.1.self_attn.in_proj_v",
                  "enc.layers.1.self_attn.out_proj",
                  "enc.layers.1.linear1",
                  "enc.layers.1.linear2",
                  "fc",
                  "head"),
              names);
          Layer q = m.layers().get(1);
          assertEquals(LayerKind.LINEAR, q.kind());
          assertEquals("32x32", q.shape());
          assertTrue(q.hasBias(), "a third of in_proj_bias");
          assertEquals(32 * 32 + 32, q.parameters());
        }
        default ->
            assertEquals(f.layers().stream().map(FixtureLayer::name).toList(), names, f.toString());
      }
    }
  }

  @Test
  void acceptsTorchScriptFilesOnly() throws Exception {
    TorchScriptModelFormat format = new TorchScriptModelFormat();
    Path pt = TorchScriptFixtures.get("mlp_scripted.pt").copyTo(dir);
    Path renamed = Files.copy(pt, dir.resolve("model.bin"));
    Path text = Files.writeString(dir.resolve("notes.txt"), "hello");
    assertTrue(format.accepts(pt));
    assertTrue(format.accepts(renamed), "a zip without the .pt name");
    assertFalse(format.accepts(text));
    assertFalse(format.accepts(dir), "a directory is a DJL model, not TorchScript");
    assertFalse(format.accepts(dir.resolve("missing.pt")));
    assertEquals(format.name(), ModelFormats.detect(renamed).name());
  }

  @Test
  void readingAFactorizedLayerIsMisuse() throws Exception {
    try (SourceModel m = ModelFormats.open(TorchScriptFixtures.get("mlp_traced.pt").copyTo(dir))) {
      Layer unknown = Layer.linear("fc9", 3, 3, true);
      assertThrows(IllegalArgumentException.class, () -> m.readWeight(unknown));
      assertEquals(Optional.empty(), m.layers().get(0).ineligible());
    }
  }
}
