package dev.lowrank.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.DataOptions;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.SampleShape;
import dev.lowrank.datasets.Digits;
import dev.lowrank.eval.Evaluation;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.report.ReportWriters;
import dev.lowrank.eval.sweep.Sweep;
import dev.lowrank.eval.sweep.SweepResult;
import dev.lowrank.eval.testing.DataFiles;
import dev.lowrank.eval.testing.PythonTorch;
import dev.lowrank.format.ModelFormats;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TorchScript fixtures of the datasets module (MLP, CNN, transformer and edge cases, each
 * scripted and traced, trained on the digits): eval's accuracy must agree with what PyTorch
 * recorded in {@code fixtures.json} and with what PyTorch computes now for the same file and data,
 * within one test sample, and so must the accuracy of their compressed versions.
 */
class TorchScriptFixturesTest {

  private static final String ROOT = "/dev/lowrank/datasets/torchscript/";

  @TempDir static Path tmp;

  private static final Map<String, JsonObject> FIXTURES = new LinkedHashMap<>();
  private static Path testCsv;

  @BeforeAll
  static void copyFixtures() throws Exception {
    try (InputStream index = Digits.class.getResourceAsStream(ROOT + "fixtures.json")) {
      Assumptions.assumeTrue(
          index != null,
          "the TorchScript fixtures (datasets/.../torchscript/fixtures.json) are not on this branch"
              + " yet");
      JsonObject json =
          JsonParser.parseString(new String(index.readAllBytes(), StandardCharsets.UTF_8))
              .getAsJsonObject();
      for (JsonElement e : json.getAsJsonArray("models")) {
        JsonObject m = e.getAsJsonObject();
        String file = m.get("file").getAsString();
        try (InputStream in = Digits.class.getResourceAsStream(ROOT + file)) {
          Files.copy(in, tmp.resolve(file));
        }
        FIXTURES.put(file, m);
      }
    }
    testCsv = DataFiles.writeCsv(tmp.resolve("digits-test.csv"), Digits.test(), "label");
  }

  @Test
  void accuracyAgreesWithFixturesJsonAndWithPyTorchNow() throws Exception {
    PythonTorch.require();
    List<String> args = new ArrayList<>(List.of("score", testCsv.toString()));
    Map<String, Integer> evalCorrect = new LinkedHashMap<>();
    for (Map.Entry<String, JsonObject> f : FIXTURES.entrySet()) {
      Path file = tmp.resolve(f.getKey());
      SampleShape shape = shape(f.getValue());
      EvalReport r = evaluate(file, file, shape);
      int correct = r.accuracy().orElseThrow().original().top1Correct();
      double recorded = f.getValue().get("testAccuracy").getAsDouble();
      assertTrue(
          Math.abs(correct - recorded * 360) <= 1.0001,
          f.getKey() + ": fixtures.json says " + recorded + ", eval counts " + correct + "/360");
      assertEquals(f.getValue().get("parameters").getAsLong(), r.params().original(), f.getKey());
      evalCorrect.put(file.toString(), correct);
      args.add(file.toString());
      args.add(shape.toString());
    }
    JsonObject torch = scoreWithPyTorch(args);
    for (Map.Entry<String, Integer> e : evalCorrect.entrySet()) {
      int t = torch.getAsJsonObject(e.getKey()).get("correct").getAsInt();
      assertTrue(
          Math.abs(t - e.getValue()) <= 1,
          e.getKey() + ": PyTorch counts " + t + ", eval " + e.getValue());
    }
  }

  @Test
  void compressedAccuracyAgreesWithPyTorch() throws Exception {
    Assumptions.assumeTrue(
        ModelFormats.all().stream().anyMatch(f -> f.name().equals("torchscript")),
        "the compressor's TorchScript format is not on this branch yet");
    PythonTorch.require();
    List<String> args = new ArrayList<>(List.of("score", testCsv.toString()));
    Map<String, Integer> evalCorrect = new LinkedHashMap<>();
    for (String name : List.of("mlp_scripted.pt", "cnn_traced.pt", "transformer_scripted.pt")) {
      Path original = tmp.resolve(name);
      Path compressed = tmp.resolve("r8-" + name);
      Compressor.compress(
          original, compressed, CompressionSpec.builder().setPolicy(RankPolicy.rank(8)).build());
      SampleShape shape = shape(FIXTURES.get(name));
      EvalReport r = evaluate(original, compressed, shape);
      Files.createDirectories(Path.of("target", "eval-reports"));
      ReportWriters.write(r, Path.of("target", "eval-reports", "ts-" + name + ".html"));
      assertEquals("torchscript", r.params().source(), name);
      assertEquals(r.params().layers().size(), r.spectra().size(), "one spectrum per dense layer");
      // The nn.Linear modules; convolutions and attention projections are layers too.
      assertEquals(
          FIXTURES.get(name).getAsJsonArray("linearLayers").size(),
          r.params().layers().stream()
              .filter(l -> l.layer().kind() == dev.lowrank.format.LayerKind.LINEAR)
              .filter(l -> !l.name().matches(".*\\.in_proj_[qkv]"))
              .count());
      assertTrue(r.params().compressed() < r.params().original(), name);
      evalCorrect.put(compressed.toString(), r.accuracy().orElseThrow().compressed().top1Correct());
      args.add(compressed.toString());
      args.add(shape.toString());
    }
    JsonObject torch = scoreWithPyTorch(args);
    for (Map.Entry<String, Integer> e : evalCorrect.entrySet()) {
      int t = torch.getAsJsonObject(e.getKey()).get("correct").getAsInt();
      assertTrue(
          Math.abs(t - e.getValue()) <= 1,
          e.getKey() + ": PyTorch counts " + t + ", eval " + e.getValue());
    }
  }

  @Test
  void sweepsATorchScriptModelAndPlotsItsSpectra() throws Exception {
    Assumptions.assumeTrue(
        ModelFormats.all().stream().anyMatch(f -> f.name().equals("torchscript")),
        "the compressor's TorchScript format is not on this branch yet");
    Path mlp = tmp.resolve("mlp_traced.pt");
    SweepResult s =
        Sweep.builder()
            .setModel(mlp)
            .setData(DataSource.file(testCsv, DataOptions.defaults()))
            .setPolicies(List.of(RankPolicy.rank(4), RankPolicy.rank(32)))
            .optWorkDirectory(tmp.resolve("sweep"))
            .build()
            .run();
    assertEquals(List.of("4/4/4", "32/32/-"), s.points().stream().map(p -> p.ranks()).toList());
    assertTrue(Files.isRegularFile(tmp.resolve("sweep").resolve("01-rank-4.pt")));
    assertTrue(
        s.points().get(1).accuracy().orElseThrow().top1()
            > s.points().get(0).accuracy().orElseThrow().top1());
    EvalReport r =
        Evaluation.builder()
            .setOriginal(mlp)
            .setCompressed(tmp.resolve("sweep").resolve("02-rank-32.pt"))
            .setData(DataSource.file(testCsv, DataOptions.defaults()))
            .optSkipLatency()
            .build()
            .run();
    assertEquals(
        List.of(64, 64, 10), r.spectra().stream().map(x -> x.singularValues().length).toList());
    assertEquals(
        List.of(32, 32, -1), r.params().layers().stream().map(l -> l.rank().orElse(-1)).toList());
  }

  private static EvalReport evaluate(Path original, Path compressed, SampleShape shape)
      throws Exception {
    return Evaluation.builder()
        .setOriginal(original)
        .setCompressed(compressed)
        .setData(DataSource.file(testCsv, DataOptions.defaults()))
        .optInputShape(shape)
        .optSkipLatency()
        .build()
        .run();
  }

  private static SampleShape shape(JsonObject fixture) {
    JsonArray dims = fixture.getAsJsonArray("inputShape");
    long[] d = new long[dims.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = dims.get(i).getAsLong();
    }
    return SampleShape.of(d);
  }

  private static JsonObject scoreWithPyTorch(List<String> args) throws Exception {
    Path script = Path.of(TorchScriptFixturesTest.class.getResource("torch_reference.py").toURI());
    String out = PythonTorch.run(script, args.toArray(new String[0]));
    return JsonParser.parseString(out.trim()).getAsJsonObject();
  }
}
