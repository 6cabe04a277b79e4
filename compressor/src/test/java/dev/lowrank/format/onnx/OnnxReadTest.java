package dev.lowrank.format.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.onnx.OnnxFixtures.Fixture;
import dev.lowrank.format.onnx.OnnxFixtures.FixtureLayer;
import dev.lowrank.format.torchscript.TorchScriptFixtures;
import dev.lowrank.linalg.FloatMatrix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden-file checks of reading ONNX: every fixture's format, parameter count and layers (names,
 * shapes, biases, and why some stay dense) are those fixtures.json records, and the weights come
 * out in the orientation {@code W} (n x m) of {@code y = W x}: equal to the same layers' weights
 * read from the TorchScript files the ONNX models were exported from.
 */
class OnnxReadTest {

  @TempDir Path dir;

  static Stream<Fixture> fixtures() {
    return OnnxFixtures.all().stream();
  }

  @ParameterizedTest
  @MethodSource("fixtures")
  void layersAndParametersAreTheGoldenOnes(Fixture f) throws Exception {
    Path model = f.copyTo(dir);
    assertEquals("onnx", ModelFormats.detect(model).name());
    try (SourceModel m = ModelFormats.open(model)) {
      assertEquals("onnx", m.format().name());
      assertEquals(f.parameters(), m.parameterCount(), f + ": parameters");
      List<Layer> layers = m.layers();
      assertEquals(
          f.layers().stream().map(FixtureLayer::name).toList(),
          layers.stream().map(Layer::name).toList(),
          f + ": layer names");
      for (int i = 0; i < layers.size(); i++) {
        Layer l = layers.get(i);
        FixtureLayer g = f.layers().get(i);
        assertEquals(g.outFeatures(), l.outFeatures(), l.name());
        assertEquals(g.inFeatures(), l.inFeatures(), l.name());
        assertEquals(g.bias(), l.hasBias(), l.name() + ": bias");
        assertTrue(l.lowRank().isEmpty(), l.name());
        assertEquals(g.eligible(), l.ineligible().isEmpty(), l.name() + ": " + l.ineligible());
        g.reason()
            .ifPresent(
                r ->
                    assertTrue(
                        l.ineligible().orElseThrow().contains(r),
                        l.name() + ": '" + l.ineligible().get() + "' should say '" + r + "'"));
        FloatMatrix w = m.readWeight(l);
        assertEquals(l.outFeatures(), w.rows(), l.name());
        assertEquals(l.inFeatures(), w.cols(), l.name());
      }
      assertTrue(m.manifest().isEmpty());
    }
  }

  /** The ONNX export of a TorchScript fixture holds the same W for each nn.Linear. */
  @Test
  void weightsAreThoseOfTheTorchScriptModelInItsOrientation() throws Exception {
    Map<String, Map<String, String>> pairs =
        Map.of(
            "mlp",
            Map.of("fc1", "fc1", "fc2", "fc2", "fc3", "fc3"),
            "transformer",
            Map.of(
                "embed", "embed",
                "enc.layers.0.linear1", "enc.layers.0.linear1",
                "enc.layers.1.linear2", "enc.layers.1.linear2",
                "/enc/layers.0/self_attn/Gemm", "enc.layers.0.self_attn.out_proj",
                "fc", "fc",
                "head", "head"));
    for (Map.Entry<String, Map<String, String>> p : pairs.entrySet()) {
      Path onnx = OnnxFixtures.get(p.getKey() + ".onnx").copyTo(dir);
      Path pt = TorchScriptFixtures.get(p.getKey() + "_scripted.pt").copyTo(dir);
      try (SourceModel a = ModelFormats.open(onnx);
          SourceModel b = ModelFormats.open(pt)) {
        for (Map.Entry<String, String> e : p.getValue().entrySet()) {
          FloatMatrix wa = a.readWeight(layer(a, e.getKey()));
          FloatMatrix wb = b.readWeight(layer(b, e.getValue()));
          assertEquals(wb.rows(), wa.rows(), e.getKey());
          assertEquals(wb.cols(), wa.cols(), e.getKey());
          assertArrayEquals(wb.data(), wa.data(), 0f, e.getKey());
        }
      }
    }
  }

  @Test
  void externalDataIsReadAsTheSameWeights() throws Exception {
    Path inline = OnnxFixtures.get("mlp.onnx").copyTo(dir);
    Path external = OnnxFixtures.get("mlp_external.onnx").copyTo(dir);
    assertTrue(Files.size(external) < 2000, "the weights are in the data file");
    try (SourceModel a = ModelFormats.open(inline);
        SourceModel b = ModelFormats.open(external)) {
      assertEquals(a.layers(), b.layers());
      assertEquals(a.parameterCount(), b.parameterCount());
      for (Layer l : a.layers()) {
        assertArrayEquals(a.readWeight(l).data(), b.readWeight(l).data(), 0f, l.name());
      }
    }
  }

  @Test
  void aFileWithoutTheOnnxSuffixIsRecognizedByItsContent() throws Exception {
    Path model = OnnxFixtures.get("mlp.onnx").copyTo(dir);
    Path renamed = Files.move(model, dir.resolve("model.bin"));
    assertEquals("onnx", ModelFormats.detect(renamed).name());
    Path text = Files.writeString(dir.resolve("notes.bin"), "hello");
    assertFalse(new OnnxModelFormat().accepts(text));
  }

  private static Layer layer(SourceModel m, String name) {
    return m.layers().stream()
        .filter(l -> l.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no layer " + name + " in " + m.layers()));
  }
}
