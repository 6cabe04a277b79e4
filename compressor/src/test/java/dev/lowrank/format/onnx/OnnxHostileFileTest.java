package dev.lowrank.format.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.GraphProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.ModelProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.NodeProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.StringStringEntryProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TensorProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.ValueInfoProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged and hostile ONNX files: each is refused when opened, and by a compression, with a
 * one-line {@link ModelFileException} that names the file and the problem (the CLI's exit code 2);
 * no output appears and nothing is left in the output's folder.
 */
class OnnxHostileFileTest {

  @TempDir Path dir;
  private Path work;
  private ModelProto mlp;
  private ModelProto external;

  @BeforeEach
  void readGoodModels() throws Exception {
    work = Files.createDirectories(dir.resolve("work"));
    mlp = ProtoTensors.parse(OnnxFixtures.get("mlp.onnx").copyTo(dir));
    external = ProtoTensors.parse(OnnxFixtures.get("mlp_external.onnx").copyTo(work));
  }

  /** Opening and compressing fail with a one-line message naming the file and saying why. */
  private void refused(Path model, String problem) throws Exception {
    byte[] before = Files.readAllBytes(model);
    ModelFileException open =
        assertThrows(ModelFileException.class, () -> ModelFormats.open(model).close());
    String msg = open.getMessage();
    assertTrue(msg.startsWith(model + ": "), msg);
    assertFalse(msg.contains("\n"), msg);
    assertTrue(msg.contains(problem), "'" + msg + "' should say '" + problem + "'");
    Path out = dir.resolve("out").resolve("x.onnx");
    List<String> listed = list(model.getParent());
    ModelFileException compress =
        assertThrows(
            ModelFileException.class,
            () ->
                Compressor.compress(
                    model, out, CompressionSpec.builder().setPolicy(RankPolicy.rank(4)).build()));
    assertEquals(msg, compress.getMessage());
    assertFalse(Files.exists(out), "no output");
    assertTrue(
        !Files.exists(out.getParent()) || list(out.getParent()).isEmpty(), "nothing left behind");
    assertEquals(listed, list(model.getParent()), "the model's folder is unchanged");
    assertTrue(Arrays.equals(before, Files.readAllBytes(model)), "the input is unchanged");
  }

  private static List<String> list(Path folder) throws Exception {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private Path write(String name, ModelProto m) throws Exception {
    return Files.write(work.resolve(name), m.toByteArray());
  }

  private Path withGraph(String name, UnaryOperator<GraphProto.Builder> edit) throws Exception {
    return write(name, mlp.toBuilder().setGraph(edit.apply(mlp.getGraph().toBuilder())).build());
  }

  private static int index(GraphProto.Builder g, String name) {
    for (int i = 0; i < g.getInitializerCount(); i++) {
      if (g.getInitializer(i).getName().equals(name)) {
        return i;
      }
    }
    throw new AssertionError(name);
  }

  private static GraphProto.Builder editInit(
      GraphProto.Builder g, String name, UnaryOperator<TensorProto.Builder> edit) {
    int i = index(g, name);
    return g.setInitializer(i, edit.apply(g.getInitializer(i).toBuilder()).build());
  }

  @Test
  void truncatedRandomAndEmptyFiles() throws Exception {
    byte[] good = mlp.toByteArray();
    refused(
        Files.write(work.resolve("truncated.onnx"), Arrays.copyOf(good, good.length / 2)),
        "truncated or corrupt protobuf");
    byte[] noise = new byte[4096];
    new Random(7).nextBytes(noise);
    refused(Files.write(work.resolve("noise.onnx"), noise), "not");
    refused(Files.write(work.resolve("empty.onnx"), new byte[0]), "is empty");
  }

  @Test
  void notAnOnnxModel() throws Exception {
    refused(write("noir.onnx", mlp.toBuilder().setIrVersion(0).build()), "declares no IR version");
    refused(write("ir.onnx", mlp.toBuilder().setIrVersion(1000).build()), "IR version 1000");
    refused(write("nograph.onnx", mlp.toBuilder().clearGraph().build()), "holds no graph");
    refused(write("noopset.onnx", mlp.toBuilder().clearOpsetImport().build()), "operator set");
  }

  private Path withLocation(String name, String location) throws Exception {
    GraphProto.Builder g = external.getGraph().toBuilder();
    TensorProto.Builder t = g.getInitializer(0).toBuilder();
    t.setExternalData(
        0, StringStringEntryProto.newBuilder().setKey("location").setValue(location).build());
    return write(name, external.toBuilder().setGraph(g.setInitializer(0, t)).build());
  }

  @Test
  void externalDataOutsideTheModelsFolder() throws Exception {
    Files.write(dir.resolve("secret.bin"), new byte[1 << 16]);
    refused(withLocation("up.onnx", "../secret.bin"), "escapes the model's folder");
    refused(withLocation("sub.onnx", "a/../../secret.bin"), "escapes the model's folder");
    refused(
        withLocation("abs.onnx", dir.resolve("secret.bin").toAbsolutePath().toString()),
        "absolute path");
    refused(withLocation("drive.onnx", "C:\\secret.bin"), "absolute path");
    Files.createSymbolicLink(work.resolve("link.bin"), dir.resolve("secret.bin"));
    refused(withLocation("link.onnx", "link.bin"), "leads out of the model's folder");
    refused(withLocation("missing.onnx", "nowhere.bin"), "does not exist");
    Files.createDirectories(work.resolve("folder.bin"));
    refused(withLocation("folder.onnx", "folder.bin"), "not a regular file");
  }

  private Path withExternalEntry(String name, String key, String value) throws Exception {
    GraphProto.Builder g = external.getGraph().toBuilder();
    TensorProto.Builder t = g.getInitializer(0).toBuilder();
    List<StringStringEntryProto> entries = t.getExternalDataList();
    t.clearExternalData();
    boolean set = false;
    for (StringStringEntryProto e : entries) {
      if (e.getKey().equals(key)) {
        t.addExternalData(e.toBuilder().setValue(value));
        set = true;
      } else {
        t.addExternalData(e);
      }
    }
    if (!set) {
      t.addExternalData(StringStringEntryProto.newBuilder().setKey(key).setValue(value));
    }
    return write(name, external.toBuilder().setGraph(g.setInitializer(0, t)).build());
  }

  @Test
  void externalDataThatDoesNotFit() throws Exception {
    refused(withExternalEntry("length.onnx", "length", "100"), "declares 100 bytes");
    refused(withExternalEntry("offset.onnx", "offset", "999999999"), "past its end");
    refused(withExternalEntry("nan.onnx", "offset", "-4"), "not a byte count");
    refused(withExternalEntry("text.onnx", "length", "12kB"), "not a byte count");
    Path data = work.resolve("mlp_external.onnx.data");
    byte[] all = Files.readAllBytes(data);
    Path model = write("short.onnx", external);
    Files.write(data, Arrays.copyOf(all, all.length - 1000));
    refused(model, "truncated data file");
    GraphProto.Builder g = external.getGraph().toBuilder();
    TensorProto.Builder t = g.getInitializer(0).toBuilder().clearExternalData();
    refused(
        write("nolocation.onnx", external.toBuilder().setGraph(g.setInitializer(0, t)).build()),
        "names no location");
  }

  @Test
  void absurdShapesAndSizes() throws Exception {
    refused(
        withGraph(
            "raw.onnx",
            g -> editInit(g, "fc1.weight", t -> t.setRawData(t.getRawData().substring(8)))),
        "bytes of raw data");
    refused(
        withGraph("negative.onnx", g -> editInit(g, "fc1.weight", t -> t.setDims(0, -128))),
        "negative dimension");
    refused(
        withGraph(
            "overflow.onnx",
            g -> editInit(g, "fc1.weight", t -> t.setDims(0, 1L << 40).setDims(1, 1L << 40))),
        "absurd shape");
    refused(
        withGraph("bytes.onnx", g -> editInit(g, "fc1.bias", t -> t.clearDims().addDims(1L << 62))),
        "absurd shape");
    refused(
        withGraph(
            "typed.onnx",
            g ->
                editInit(
                    g, "fc3.bias", t -> t.clearRawData().addAllFloatData(List.of(1f, 2f, 3f)))),
        "holds 3 values");
    refused(
        withGraph("huge.onnx", g -> editInit(g, "fc2.weight", t -> t.setDims(0, 1L << 33))),
        "bytes of raw data");
  }

  @Test
  void graphsWithCyclesAndMissingValues() throws Exception {
    refused(
        withGraph(
            "cycle.onnx",
            g -> {
              // fc1 reads the output of the last node: fc1 -> ... -> fc3 -> fc1.
              NodeProto first = g.getNode(0);
              String last = g.getNode(g.getNodeCount() - 1).getOutput(0);
              g.setNode(0, first.toBuilder().setInput(0, last));
              return g;
            }),
        "has a cycle");
    refused(
        withGraph(
            "self.onnx",
            g -> {
              NodeProto n = g.getNode(1);
              return g.setNode(1, n.toBuilder().setInput(0, n.getOutput(0)));
            }),
        "reads its own output");
    refused(
        withGraph("ghost.onnx", g -> g.setNode(2, g.getNode(2).toBuilder().setInput(0, "ghost"))),
        "reads 'ghost', which no node, graph input or initializer provides");
    refused(
        withGraph("noweight.onnx", g -> g.removeInitializer(index(g, "fc2.weight"))),
        "reads 'fc2.weight', which no node");
    refused(
        withGraph(
            "twice.onnx",
            g -> g.setNode(2, g.getNode(2).toBuilder().setOutput(0, g.getNode(0).getOutput(0)))),
        "is defined twice");
    refused(
        withGraph("output.onnx", g -> g.addOutput(ValueInfoProto.newBuilder().setName("nowhere"))),
        "graph output 'nowhere' is not computed");
    refused(
        withGraph("dupinit.onnx", g -> g.addInitializer(g.getInitializer(0))), "is defined twice");
  }
}
