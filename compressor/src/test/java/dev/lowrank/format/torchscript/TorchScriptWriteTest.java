package dev.lowrank.format.torchscript;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.ManifestJson;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.torchscript.internal.zip.ZipArchive;
import dev.lowrank.format.torchscript.internal.zip.ZipEntryInfo;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.runtime.ManifestFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What write() keeps, changes and refuses. */
class TorchScriptWriteTest {

  @TempDir Path dir;

  private Set<String> files() throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }

  @Test
  void everythingButTheFactorizedLayersIsCopiedByteForByte() throws Exception {
    Path in = TorchScriptFixtures.get("mlp_scripted.pt").copyTo(dir);
    Path out = dir.resolve("out.pt");
    Map<String, LowRankFactors> factors;
    try (SourceModel m = ModelFormats.open(in)) {
      factors = TestCompression.factors(m, 8, name -> !name.equals("fc1"));
      m.write(out, factors, TestCompression.bytes(TestCompression.manifest(m, factors)));
      Path again = dir.resolve("again.pt");
      m.write(again, factors, TestCompression.bytes(TestCompression.manifest(m, factors)));
      assertArrayEquals(Files.readAllBytes(out), Files.readAllBytes(again), "deterministic");
      Files.delete(again);
    }
    Map<String, byte[]> before = ZipSurgery.read(in);
    Map<String, byte[]> after = ZipSurgery.read(out);
    // fc1.weight (storage 0) is gone, its class and its parent's code are new or edited.
    Set<String> changed =
        Set.of(
            "mlp_scripted/data/0",
            "mlp_scripted/data.pkl",
            "mlp_scripted/code/__torch__.py",
            "mlp_scripted/code/__torch__.py.debug_pkl");
    for (Map.Entry<String, byte[]> e : before.entrySet()) {
      if (!changed.contains(e.getKey())) {
        assertArrayEquals(e.getValue(), after.get(e.getKey()), e.getKey());
      }
    }
    assertFalse(after.containsKey("mlp_scripted/data/0"));
    assertFalse(after.containsKey("mlp_scripted/code/__torch__.py.debug_pkl"));
    String manifest =
        new String(
            after.get("mlp_scripted/extra/" + ManifestFile.FILE_NAME), StandardCharsets.UTF_8);
    try (SourceModel m = ModelFormats.open(in)) {
      assertEquals(ManifestJson.toJson(TestCompression.manifest(m, factors)), manifest);
    }
    try (ZipArchive z = ZipArchive.open(out)) {
      for (ZipEntryInfo e : z.entries()) {
        assertEquals(0, e.dataOffset() % 64, "aligned: " + e.name());
      }
    }
    try (SourceModel m = ModelFormats.open(out)) {
      Layer fc1 = m.layers().get(0);
      assertEquals(OptionalInt.of(8), fc1.lowRank());
      assertEquals(128, fc1.outFeatures());
      assertEquals(64, fc1.inFeatures());
      assertThrows(IllegalArgumentException.class, () -> m.readWeight(fc1));
      assertEquals(OptionalInt.empty(), m.layers().get(1).lowRank());
    }
    assertEquals(Set.of("mlp_scripted.pt", "out.pt"), files());
  }

  @Test
  void aSharedClassIsClonedWhenItsInstancesDiverge() throws Exception {
    Path in = TorchScriptFixtures.get("edge_scripted.pt").copyTo(dir);
    Path out = dir.resolve("out.pt");
    try (SourceModel m = ModelFormats.open(in)) {
      Map<String, LowRankFactors> f = TestCompression.factors(m, 8, "blocks.1.fc"::equals);
      m.write(out, f, TestCompression.bytes(TestCompression.manifest(m, f)));
    }
    Map<String, String> code =
        ZipSurgery.read(out).entrySet().stream()
            .filter(e -> e.getKey().endsWith(".py"))
            .collect(
                Collectors.toMap(
                    Map.Entry::getKey, e -> new String(e.getValue(), StandardCharsets.UTF_8)));
    // blocks.0 gets a clone of Block (fc factorized), blocks.1 keeps __torch__.Block.
    List<String> clones =
        code.entrySet().stream()
            .filter(e -> e.getValue().startsWith("class Block(Module):"))
            .map(Map.Entry::getKey)
            .filter(k -> k.matches("edge_scripted/code/__torch__/___torch_mangle_\\d+\\.py"))
            .toList();
    assertEquals(1, clones.size(), code.keySet().toString());
    String clone =
        clones.get(0).replace("edge_scripted/code/", "").replace(".py", "").replace('/', '.');
    String cloneText = code.get(clones.get(0));
    assertTrue(cloneText.contains("fc : __torch__.lowrank.___torch_mangle_"), cloneText);
    assertTrue(cloneText.contains("def forward(self: " + clone + ".Block,"), cloneText);
    String list =
        code.entrySet().stream()
            .filter(e -> e.getValue().startsWith("class ModuleList(Module):"))
            .map(Map.Entry::getValue)
            .findFirst()
            .orElseThrow();
    assertTrue(list.contains("__annotations__[\"0\"] = " + clone + ".Block\n"), list);
    assertTrue(list.contains("__annotations__[\"1\"] = __torch__.Block\n"), list);
    try (SourceModel m = ModelFormats.open(out)) {
      assertEquals(OptionalInt.of(8), m.layers().get(1).lowRank());
      assertEquals("blocks.1.fc", m.layers().get(2).name());
      assertEquals(OptionalInt.empty(), m.layers().get(2).lowRank());
    }
  }

  @Test
  void misuseIsRefusedWithoutWritingAnything() throws Exception {
    Path in = TorchScriptFixtures.get("transformer_scripted.pt").copyTo(dir);
    byte[] original = Files.readAllBytes(in);
    Path out = dir.resolve("out.pt");
    try (SourceModel m = ModelFormats.open(in)) {
      Map<String, LowRankFactors> ok = TestCompression.factors(m, 4, n -> false);
      FloatMatrix a = FloatMatrix.zeros(2, 32);
      FloatMatrix b = FloatMatrix.zeros(64, 2);
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  m.write(
                      out,
                      Map.of(
                          "enc.layers.0.linear1",
                          new LowRankFactors(FloatMatrix.zeros(2, 32), FloatMatrix.zeros(64, 2))),
                      Map.of("enc.layers.0.linear1", dev.lowrank.format.ConvForm.CHANNEL),
                      TestCompression.bytes(TestCompression.manifest(m, ok))));
      assertTrue(e.getMessage().contains("which is no convolution"), e.getMessage());
      e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  m.write(
                      out,
                      Map.of("fc", new LowRankFactors(a, b)),
                      TestCompression.bytes(TestCompression.manifest(m, ok))));
      assertTrue(e.getMessage().contains("the layer needs A r x 256 and B 64 x r"), e.getMessage());
      e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  m.write(
                      out,
                      Map.of("nope", new LowRankFactors(a, b)),
                      TestCompression.bytes(TestCompression.manifest(m, ok))));
      assertTrue(e.getMessage().contains("No linear layer named 'nope'"), e.getMessage());
      e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  m.write(
                      dir.resolve("./transformer_scripted.pt"),
                      ok,
                      TestCompression.bytes(TestCompression.manifest(m, ok))));
      assertTrue(e.getMessage().contains("is the input"), e.getMessage());
    }
    assertArrayEquals(original, Files.readAllBytes(in));
    assertEquals(Set.of("transformer_scripted.pt"), files());
    Path edge = TorchScriptFixtures.get("edge_scripted.pt").copyTo(dir);
    try (SourceModel m = ModelFormats.open(edge)) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  m.write(
                      out,
                      Map.of(
                          "proj",
                          new LowRankFactors(FloatMatrix.zeros(2, 32), FloatMatrix.zeros(32, 2))),
                      TestCompression.bytes(
                          TestCompression.manifest(m, TestCompression.factors(m, 4, n -> false)))));
      assertTrue(
          e.getMessage().contains("must stay dense: weight read directly by"), e.getMessage());
    }
    assertEquals(Set.of("transformer_scripted.pt", "edge_scripted.pt"), files());
  }

  @Test
  void anExistingOutputIsReplacedWhole() throws Exception {
    Path in = TorchScriptFixtures.get("cnn_traced.pt").copyTo(dir);
    Path out = Files.writeString(dir.resolve("out.pt"), "an older file");
    try (SourceModel m = ModelFormats.open(in)) {
      Map<String, LowRankFactors> f = TestCompression.factors(m, 8, n -> false);
      m.write(out, f, TestCompression.bytes(TestCompression.manifest(m, f)));
    }
    try (SourceModel m = ModelFormats.open(out)) {
      assertEquals(
          List.of(OptionalInt.of(8), OptionalInt.of(8), OptionalInt.of(8), OptionalInt.of(8)),
          m.layers().stream().map(Layer::lowRank).toList(),
          "conv1, conv2, fc1, fc2");
    }
    assertEquals(Set.of("cnn_traced.pt", "out.pt"), files());
  }
}
