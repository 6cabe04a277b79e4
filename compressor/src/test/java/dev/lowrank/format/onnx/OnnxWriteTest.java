package dev.lowrank.format.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.UnknownFieldSet;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.GraphProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.ModelProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.NodeProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.StringStringEntryProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TensorProto;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writing ONNX: what the output holds besides the factors (everything else kept, the manifest in
 * metadata), external data written next to the output, stable layer names across compressions, and
 * the refusals that protect inputs and foreign files.
 */
class OnnxWriteTest {

  @TempDir Path dir;

  private static Map<String, LowRankFactors> only(
      Map<String, LowRankFactors> factors, Set<String> names) {
    Map<String, LowRankFactors> out = new LinkedHashMap<>(factors);
    out.keySet().retainAll(names);
    return out;
  }

  @Test
  void everythingButTheChosenWeightsIsKept() throws Exception {
    Path original = OnnxFixtures.get("mlp.onnx").copyTo(dir);
    // Fields lowrank's schema does not know, and metadata of the producer, must survive.
    ModelProto m = ProtoTensors.parse(original);
    GraphProto.Builder g = m.getGraph().toBuilder();
    NodeProto relu = g.getNode(1);
    UnknownFieldSet extra =
        UnknownFieldSet.newBuilder()
            .addField(9, UnknownFieldSet.Field.newBuilder().addVarint(42).build())
            .build();
    g.setNode(1, relu.toBuilder().setUnknownFields(extra));
    Path input =
        Files.write(
            dir.resolve("input.onnx"),
            m.toBuilder()
                .setGraph(g)
                .addMetadataProps(
                    StringStringEntryProto.newBuilder().setKey("author").setValue("digits"))
                .build()
                .toByteArray());
    Path out = dir.resolve("out.onnx");
    byte[] manifest;
    Map<String, LowRankFactors> factors;
    try (SourceModel s = ModelFormats.open(input)) {
      factors = only(OnnxTesting.factors(s, l -> 8), Set.of("fc1", "fc2"));
      manifest = OnnxTesting.manifest(s, factors);
      s.write(out, factors, manifest);
    }
    ModelProto w = ProtoTensors.parse(out);
    assertEquals(m.getIrVersion(), w.getIrVersion());
    assertEquals(m.getOpsetImportList(), w.getOpsetImportList());
    assertEquals(m.getProducerName(), w.getProducerName());
    assertEquals(
        42L, findNode(w, relu.getName()).getUnknownFields().getField(9).getVarintList().get(0));
    assertEquals("digits", metadata(w, "author"));
    assertEquals(
        new String(manifest, java.nio.charset.StandardCharsets.UTF_8),
        metadata(w, "lowrank-manifest.json"));
    Map<String, TensorProto> before = initializers(m);
    Map<String, TensorProto> after = initializers(w);
    for (String kept : List.of("fc1.bias", "fc2.bias", "fc3.weight", "fc3.bias")) {
      assertEquals(before.get(kept), after.get(kept), kept + " is copied unchanged");
    }
    assertFalse(after.containsKey("fc1.weight"));
    assertEquals(List.of(64L, 8L), after.get("fc1.lowrank_a").getDimsList());
    assertEquals(List.of(8L, 128L), after.get("fc1.lowrank_b").getDimsList());
    List<String> ops = w.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
    assertEquals(
        List.of("MatMul", "Gemm", "Relu", "MatMul", "Gemm", "Relu", "Gemm"), ops, "node types");
    try (SourceModel back = ModelFormats.open(out)) {
      assertArrayEquals(manifest, back.manifest().orElseThrow());
      assertEquals(OptionalInt.of(8), layer(back, "fc1").lowRank());
      assertEquals(OptionalInt.of(8), layer(back, "fc2").lowRank());
      assertTrue(layer(back, "fc3").factorizable());
      assertTrue(layer(back, "fc1").hasBias());
      assertThrows(IllegalArgumentException.class, () -> back.readWeight(layer(back, "fc1")));
      // Compressing the output again factorizes what is left, keeps what is factorized.
      Path again = dir.resolve("again.onnx");
      Map<String, LowRankFactors> more = OnnxTesting.factors(back, l -> 4);
      assertEquals(Set.of("fc3"), more.keySet());
      back.write(again, more, OnnxTesting.manifest(back, more));
      try (SourceModel twice = ModelFormats.open(again)) {
        assertEquals(
            List.of(OptionalInt.of(8), OptionalInt.of(8), OptionalInt.of(4)),
            twice.layers().stream().map(Layer::lowRank).toList());
        assertEquals(
            17226 - 128 * 64 - 64 * 128 - 10 * 64 + 8 * (128 + 64) * 2 + 4 * (10 + 64),
            twice.parameterCount());
      }
    }
    assertEquals(List.of("again.onnx", "input.onnx", "mlp.onnx", "out.onnx"), list(dir));
  }

  @Test
  void layerNamesStayTheSameWhateverIsFactorized() throws Exception {
    for (String file : List.of("transformer.onnx", "edge.onnx")) {
      Path original = OnnxFixtures.get(file).copyTo(dir);
      try (SourceModel s = ModelFormats.open(original)) {
        List<String> names = s.layers().stream().map(Layer::name).toList();
        Map<String, LowRankFactors> all = OnnxTesting.factors(s, l -> 2);
        for (String one : all.keySet()) {
          Path out = dir.resolve("one-" + file);
          Files.deleteIfExists(out);
          Map<String, LowRankFactors> f = only(all, Set.of(one));
          s.write(out, f, OnnxTesting.manifest(s, f));
          try (SourceModel back = ModelFormats.open(out)) {
            assertEquals(names, back.layers().stream().map(Layer::name).toList(), one);
            assertEquals(OptionalInt.of(2), layer(back, one).lowRank(), one);
          }
        }
      }
    }
  }

  @Test
  void externalDataGoesToOneDataFileNextToTheOutput() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("in"));
    Path original = OnnxFixtures.get("mlp_external.onnx").copyTo(folder);
    Path out = Files.createDirectories(dir.resolve("out")).resolve("small.onnx");
    try (SourceModel s = ModelFormats.open(original)) {
      Map<String, LowRankFactors> f = only(OnnxTesting.factors(s, l -> 8), Set.of("fc1"));
      s.write(out, f, OnnxTesting.manifest(s, f));
    }
    assertEquals(List.of("small.onnx", "small.onnx.data"), list(out.getParent()));
    ModelProto w = ProtoTensors.parse(out);
    for (TensorProto t : w.getGraph().getInitializerList()) {
      assertEquals(TensorProto.DataLocation.EXTERNAL, t.getDataLocation(), t.getName());
      Map<String, String> e = new LinkedHashMap<>();
      t.getExternalDataList().forEach(x -> e.put(x.getKey(), x.getValue()));
      assertEquals("small.onnx.data", e.get("location"), t.getName());
      assertEquals(0, Long.parseLong(e.get("offset")) % 64, t.getName() + " is aligned");
    }
    Map<String, ProtoTensors.Floats> a =
        ProtoTensors.floatInitializers(OnnxFixtures.get("mlp.onnx").copyTo(dir));
    Map<String, ProtoTensors.Floats> b = ProtoTensors.floatInitializers(out);
    assertArrayEquals(a.get("fc2.weight").values(), b.get("fc2.weight").values(), 0f);
    assertArrayEquals(a.get("fc1.bias").values(), b.get("fc1.bias").values(), 0f);
    try (SourceModel back = ModelFormats.open(out)) {
      assertEquals(OptionalInt.of(8), layer(back, "fc1").lowRank());
    }
  }

  @Test
  void theInputsDataAndForeignFilesAreNeverReplaced() throws Exception {
    Path original = OnnxFixtures.get("mlp_external.onnx").copyTo(dir);
    // A model whose data file is named like the data file of output b.onnx.
    Files.move(dir.resolve("mlp_external.onnx.data"), dir.resolve("b.onnx.data"));
    ModelProto m = ProtoTensors.parse(original);
    GraphProto.Builder g = m.getGraph().toBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      TensorProto.Builder t = g.getInitializer(i).toBuilder();
      for (int k = 0; k < t.getExternalDataCount(); k++) {
        if (t.getExternalData(k).getKey().equals("location")) {
          t.setExternalData(k, t.getExternalData(k).toBuilder().setValue("b.onnx.data"));
        }
      }
      g.setInitializer(i, t);
    }
    Path a = Files.write(dir.resolve("a.onnx"), m.toBuilder().setGraph(g).build().toByteArray());
    byte[] data = Files.readAllBytes(dir.resolve("b.onnx.data"));
    Path foreign = Files.writeString(dir.resolve("c.onnx.data"), "not ours");
    try (SourceModel s = ModelFormats.open(a)) {
      Map<String, LowRankFactors> f = only(OnnxTesting.factors(s, l -> 8), Set.of("fc1"));
      byte[] manifest = OnnxTesting.manifest(s, f);
      IllegalArgumentException overwrite =
          assertThrows(
              IllegalArgumentException.class, () -> s.write(dir.resolve("b.onnx"), f, manifest));
      assertTrue(overwrite.getMessage().contains("input's external data"), overwrite.getMessage());
      IllegalArgumentException other =
          assertThrows(
              IllegalArgumentException.class, () -> s.write(dir.resolve("c.onnx"), f, manifest));
      assertTrue(other.getMessage().contains("not the data file of a lowrank output"));
      assertThrows(IllegalArgumentException.class, () -> s.write(a, f, manifest));
    }
    assertArrayEquals(data, Files.readAllBytes(dir.resolve("b.onnx.data")));
    assertEquals("not ours", Files.readString(foreign));
    assertEquals(List.of("a.onnx", "b.onnx.data", "c.onnx.data", "mlp_external.onnx"), list(dir));
  }

  @Test
  void factorsThatDoNotFitAreRefused() throws Exception {
    Path original = OnnxFixtures.get("edge.onnx").copyTo(dir);
    try (SourceModel s = ModelFormats.open(original)) {
      Map<String, LowRankFactors> f = OnnxTesting.factors(s, l -> 2);
      byte[] manifest = OnnxTesting.manifest(s, f);
      Path out = dir.resolve("out.onnx");
      LowRankFactors wrong = new LowRankFactors(FloatMatrix.zeros(2, 3), FloatMatrix.zeros(4, 2));
      assertThrows(
          IllegalArgumentException.class, () -> s.write(out, Map.of("gemm", wrong), manifest));
      LowRankFactors any = f.values().iterator().next();
      assertThrows(
          IllegalArgumentException.class, () -> s.write(out, Map.of("read", any), manifest));
      assertThrows(
          IllegalArgumentException.class, () -> s.write(out, Map.of("nothing", any), manifest));
      float[] nan = new float[2 * 8];
      nan[3] = Float.NaN;
      LowRankFactors bad =
          new LowRankFactors(FloatMatrix.wrap(2, 8, nan), FloatMatrix.zeros(12, 2));
      assertThrows(
          IllegalArgumentException.class, () -> s.write(out, Map.of("gemm", bad), manifest));
      assertFalse(Files.exists(out));
    }
    assertEquals(List.of("edge.onnx"), list(dir));
  }

  private static Layer layer(SourceModel m, String name) {
    return m.layers().stream().filter(l -> l.name().equals(name)).findFirst().orElseThrow();
  }

  private static NodeProto findNode(ModelProto m, String name) {
    return m.getGraph().getNodeList().stream()
        .filter(n -> n.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  private static String metadata(ModelProto m, String key) {
    return m.getMetadataPropsList().stream()
        .filter(e -> e.getKey().equals(key))
        .findFirst()
        .orElseThrow()
        .getValue();
  }

  private static Map<String, TensorProto> initializers(ModelProto m) {
    Map<String, TensorProto> out = new LinkedHashMap<>();
    m.getGraph().getInitializerList().forEach(t -> out.put(t.getName(), t));
    return out;
  }

  private static List<String> list(Path folder) throws Exception {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
