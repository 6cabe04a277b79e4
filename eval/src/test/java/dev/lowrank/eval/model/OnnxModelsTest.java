package dev.lowrank.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
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
import dev.lowrank.eval.latency.LatencySettings;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.sweep.Sweep;
import dev.lowrank.eval.sweep.SweepResult;
import dev.lowrank.eval.testing.DataFiles;
import dev.lowrank.format.onnx.OnnxFixtures;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX models through eval's one code path, run by DJL's OnnxRuntime engine: the digits MLP and
 * transformer exported from the TorchScript fixtures score what PyTorch recorded for those
 * fixtures, their input shape comes from the file, and compressed ONNX models are evaluated (with
 * latency) and swept like TorchScript ones. PyTorch stays DJL's default engine.
 */
class OnnxModelsTest {

  @TempDir static Path tmp;
  private static Path testCsv;

  @BeforeAll
  static void data() throws Exception {
    testCsv = DataFiles.writeCsv(tmp.resolve("digits-test.csv"), Digits.test(), "label");
  }

  private static double torchScriptAccuracy(String file) throws Exception {
    try (InputStream in =
        Digits.class.getResourceAsStream("/dev/lowrank/datasets/torchscript/fixtures.json")) {
      JsonObject json =
          JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
              .getAsJsonObject();
      for (JsonElement e : json.getAsJsonArray("models")) {
        if (e.getAsJsonObject().get("file").getAsString().equals(file)) {
          return e.getAsJsonObject().get("testAccuracy").getAsDouble();
        }
      }
    }
    throw new AssertionError(file);
  }

  private static EvalReport evaluate(Path original, Path compressed, boolean latency)
      throws Exception {
    Evaluation.Builder b =
        Evaluation.builder()
            .setOriginal(original)
            .setCompressed(compressed)
            .setData(DataSource.file(testCsv, DataOptions.defaults()));
    if (latency) {
      b.optLatency(
          LatencySettings.builder()
              .optBatchSizes(List.of(1, 32))
              .optWarmup(Duration.ofMillis(20), 3)
              .optBudget(Duration.ofMillis(150))
              .optIterations(10, 1000)
              .build());
    } else {
      b.optSkipLatency();
    }
    return b.build().run();
  }

  @Test
  void exportedModelsScoreWhatPyTorchRecorded() throws Exception {
    String[][] cases = {
      {"mlp.onnx", "mlp_scripted.pt", "64"},
      {"mlp_external.onnx", "mlp_scripted.pt", "64"},
      {"transformer.onnx", "transformer_scripted.pt", "8x8"}
    };
    for (String[] c : cases) {
      Path folder = Files.createDirectories(tmp.resolve(c[0].replace('.', '-')));
      Path model = OnnxFixtures.get(c[0]).copyTo(folder);
      EvalReport r = evaluate(model, model, false);
      int correct = r.accuracy().orElseThrow().original().top1Correct();
      double recorded = torchScriptAccuracy(c[1]);
      assertTrue(
          Math.abs(correct - recorded * 360) <= 1.0001,
          c[0] + ": PyTorch recorded " + recorded + ", ONNX Runtime scores " + correct + "/360");
      assertEquals("onnx", r.original().format(), c[0]);
      assertEquals(OnnxFixtures.get(c[0]).parameters(), r.params().original(), c[0]);
      assertEquals(SampleShape.parse(c[2]), r.data().inputShape(), c[0] + ": stored input shape");
    }
  }

  @Test
  void compressedOnnxModelsAreEvaluatedAndSwept() throws Exception {
    Path transformer = OnnxFixtures.get("transformer.onnx").copyTo(tmp);
    Path compressed = tmp.resolve("transformer-r8.onnx");
    Compressor.compress(
        transformer, compressed, CompressionSpec.builder().setPolicy(RankPolicy.rank(8)).build());
    EvalReport r = evaluate(transformer, compressed, true);
    assertEquals("onnx", r.params().source());
    assertEquals(11, r.params().layers().size());
    assertTrue(r.params().compressed() < r.params().original());
    assertTrue(r.compressed().sizeBytes() < r.original().sizeBytes());
    assertEquals(2, r.latency().size());
    assertTrue(r.fidelity().top1Agreement() > 0.5, "rank 8 keeps most predictions");

    Path mlp = OnnxFixtures.get("mlp.onnx").copyTo(tmp);
    SweepResult s =
        Sweep.builder()
            .setModel(mlp)
            .setData(DataSource.file(testCsv, DataOptions.defaults()))
            .setPolicies(List.of(RankPolicy.rank(4), RankPolicy.rank(32)))
            .optWorkDirectory(tmp.resolve("sweep"))
            .build()
            .run();
    assertEquals(List.of("4/4/4", "32/32/-"), s.points().stream().map(p -> p.ranks()).toList());
    assertTrue(Files.isRegularFile(tmp.resolve("sweep").resolve("01-rank-4.onnx")));
    assertTrue(
        s.points().get(1).accuracy().orElseThrow().top1()
            > s.points().get(0).accuracy().orElseThrow().top1());
  }

  @Test
  void theGoldenOutputsComeOutOfDjlsOnnxRuntimeEngine() throws Exception {
    for (String file : List.of("edge.onnx", "gemm_opset9.onnx")) {
      OnnxFixtures.Fixture f = OnnxFixtures.get(file);
      Path model = f.copyTo(tmp);
      try (InferenceModel m = InferenceModel.load(model);
          InferenceSession s = m.newSession()) {
        assertEquals("onnx", m.format());
        Outputs out = s.run(f.input(), f.batch(), SampleShape.of(f.inputShape()));
        assertEquals(f.outputWidth(), out.width());
        for (int i = 0; i < f.output().length; i++) {
          assertEquals(f.output()[i], out.values()[i], f.tolerance(), file + " output " + i);
        }
      }
    }
  }

  @Test
  void pytorchStaysDjlsDefaultEngine() {
    assertEquals("PyTorch", Engine.getDefaultEngineName());
    assertTrue(Engine.hasEngine("OnnxRuntime"));
  }
}
