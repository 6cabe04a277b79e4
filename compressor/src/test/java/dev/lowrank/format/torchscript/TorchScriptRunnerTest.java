package dev.lowrank.format.torchscript;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.Tensor;
import dev.lowrank.datasets.Digits;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerInputObserver;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.torchscript.TorchScriptFixtures.Fixture;
import dev.lowrank.linalg.FloatMatrix;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TorchScript runner (an instrumented copy of the archive run by DJL's PyTorch engine): its
 * outputs equal those of the original file loaded by DJL, it reports each layer's input in call
 * order, its weights can be replaced and restored, and PyTorch is the judge: {@code
 * capture_judge.py} runs the archive with {@code torch.jit.load} and records every {@code
 * nn.Linear}'s and {@code nn.Conv2d}'s input with forward pre-hooks on the eager model, for every
 * fixture.
 */
class TorchScriptRunnerTest {

  private static final String PYTHON = "/usr/bin/python3";
  private static final Dataset TEST = Digits.test();

  @TempDir Path dir;

  private static long[] batchShape(Fixture f, int rows) {
    long[] shape = new long[f.inputShape().length + 1];
    shape[0] = rows;
    for (int i = 0; i < f.inputShape().length; i++) {
      shape[i + 1] = f.inputShape()[i];
    }
    return shape;
  }

  private static Tensor input(Fixture f) {
    return Tensor.ofFloats("x", batchShape(f, TEST.size()), TEST.flatFeatures());
  }

  /** What one run showed: outputs and each layer's inputs per call, in call order. */
  private record Run(float[] outputs, Map<String, List<Tensor>> inputs, List<String> order) {}

  private static Run run(Path model, Fixture f) throws Exception {
    Map<String, List<Tensor>> seen = new LinkedHashMap<>();
    List<String> order = new ArrayList<>();
    try (SourceModel m = ModelFormats.open(model)) {
      Set<String> names = new LinkedHashSet<>();
      m.layers().forEach(l -> names.add(l.name()));
      try (ModelRunner r = m.runner(names)) {
        assertEquals(List.of("x"), r.inputNames());
        float[] out =
            r.run(
                    List.of(input(f)),
                    (layer, x) -> {
                      seen.computeIfAbsent(layer, k -> new ArrayList<>()).add(x);
                      if (!order.contains(layer)) {
                        order.add(layer);
                      }
                    })
                .get(0)
                .floats();
        return new Run(out, seen, order);
      }
    }
  }

  @Test
  void runnerOutputsEqualTheOriginalRunByDjl() throws Exception {
    for (Fixture f : TorchScriptFixtures.all()) {
      Path model = f.copyTo(dir);
      float[] expected = DjlRunner.run(model, f.inputShape()).logits();
      Run run = run(model, f);
      assertArrayEquals(expected, run.outputs(), 1e-5f, f.file());
      assertTrue(!run.inputs().isEmpty(), f.file() + ": some layer is observed");
      if (f.model().equals("mlp")) {
        assertEquals(List.of("fc1", "fc2", "fc3"), run.order());
        assertArrayEquals(
            TEST.flatFeatures(), run.inputs().get("fc1").get(0).floats(), 0f, "fc1 sees x");
      }
      if (f.model().equals("cnn")) {
        // A convolution reports the tensor it convolves, [N, C_in, H, W], not its patches.
        assertEquals(List.of("conv1", "conv2", "fc1", "fc2"), run.order(), f.file());
        Tensor x = run.inputs().get("conv1").get(0);
        assertArrayEquals(batchShape(f, TEST.size()), x.shape(), f.file());
        assertArrayEquals(TEST.flatFeatures(), x.floats(), 0f, "conv1 sees x");
        assertArrayEquals(
            new long[] {TEST.size(), 16, 8, 8}, run.inputs().get("conv2").get(0).shape(), f.file());
      }
    }
  }

  @Test
  void weightsAreReplacedInPlaceAndRestored() throws Exception {
    Fixture f = TorchScriptFixtures.get("mlp_scripted.pt");
    Path model = f.copyTo(dir);
    try (SourceModel m = ModelFormats.open(model);
        ModelRunner r = m.runner(Set.of("fc3"))) {
      Layer fc2 = m.layers().get(1);
      FloatMatrix w = m.readWeight(fc2);
      float[] before = r.run(List.of(input(f)), LayerInputObserver.NONE).get(0).floats();
      List<Tensor> fc3Inputs = new ArrayList<>();
      r.setWeights(Map.of("fc2", FloatMatrix.zeros(w.rows(), w.cols())));
      r.run(List.of(input(f)), (layer, x) -> fc3Inputs.add(x));
      // fc3 takes relu(fc2(.)): with W = 0, that is relu(bias), the same for every sample.
      float[] x = fc3Inputs.get(0).floats();
      for (int s = 1; s < TEST.size(); s++) {
        for (int j = 0; j < 64; j++) {
          assertEquals(x[j], x[s * 64 + j], 0f);
        }
      }
      r.resetWeights();
      float[] after = r.run(List.of(input(f)), LayerInputObserver.NONE).get(0).floats();
      assertArrayEquals(before, after, 0f, "the original weights are back");
      assertThrows(
          IllegalArgumentException.class,
          () -> r.setWeights(Map.of("fc2", FloatMatrix.zeros(2, 2))));
      assertThrows(
          IllegalArgumentException.class,
          () -> r.setWeights(Map.of("nope", FloatMatrix.zeros(2, 2))));
    }
  }

  @Test
  void convolutionKernelsAreReplacedFromTheirChannelForm() throws Exception {
    Fixture f = TorchScriptFixtures.get("cnn_scripted.pt");
    Path model = f.copyTo(dir);
    try (SourceModel m = ModelFormats.open(model);
        ModelRunner r = m.runner(Set.of("conv2"))) {
      Layer conv1 = m.layers().get(0);
      assertEquals("conv1", conv1.name());
      assertTrue(r.replaces("conv1"), "a dense convolution's kernel can be replaced");
      FloatMatrix w = m.readWeight(conv1);
      assertEquals("16x9", w.shape());
      float[] before = r.run(List.of(input(f)), LayerInputObserver.NONE).get(0).floats();
      List<Tensor> conv2Inputs = new ArrayList<>();
      r.setWeights(Map.of("conv1", FloatMatrix.zeros(w.rows(), w.cols())));
      r.run(List.of(input(f)), (layer, x) -> conv2Inputs.add(x));
      // conv2 takes relu(conv1(.)): with a zero kernel, relu(bias) in every pixel of a channel.
      Tensor x = conv2Inputs.get(0);
      assertArrayEquals(new long[] {TEST.size(), 16, 8, 8}, x.shape());
      float[] v = x.floats();
      for (int s = 0; s < TEST.size(); s++) {
        for (int c = 0; c < 16; c++) {
          for (int p = 0; p < 64; p++) {
            assertEquals(v[c * 64], v[(s * 16 + c) * 64 + p], 0f);
          }
        }
      }
      r.resetWeights();
      float[] after = r.run(List.of(input(f)), LayerInputObserver.NONE).get(0).floats();
      assertArrayEquals(before, after, 0f, "the original kernel is back");
      assertThrows(
          IllegalArgumentException.class,
          () -> r.setWeights(Map.of("conv1", FloatMatrix.zeros(16, 8))),
          "a matrix that is not the channel form");
    }
  }

  @Test
  void pytorchForwardHooksSeeWhatTheRunnerObserves() throws Exception {
    boolean torch = python("-c", "import torch") == 0;
    if (!torch && "true".equals(System.getenv("CI"))) {
      fail(PYTHON + " cannot import torch; CI must install python3-torch (apt-get)");
    }
    Assumptions.assumeTrue(
        torch, "skipped: " + PYTHON + " with torch (Debian python3-torch) is not installed");
    Path features = dir.resolve("features.bin");
    write(features, TEST.flatFeatures());
    List<Map<String, Object>> cases = new ArrayList<>();
    for (Fixture f : TorchScriptFixtures.all()) {
      Path model = f.copyTo(dir);
      Run run = run(model, f);
      String base = f.file().replace(".pt", "");
      Path outputs = dir.resolve(base + ".out.bin");
      write(outputs, run.outputs());
      List<Map<String, Object>> captures = new ArrayList<>();
      for (Map.Entry<String, List<Tensor>> e : run.inputs().entrySet()) {
        for (int call = 0; call < e.getValue().size(); call++) {
          Path file = dir.resolve(base + "." + e.getKey() + "." + call + ".bin");
          write(file, e.getValue().get(call).floats());
          captures.add(Map.of("layer", e.getKey(), "call", call, "file", file.toString()));
        }
      }
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("name", f.file());
      c.put("model", f.model());
      c.put("file", model.toString());
      c.put("shape", f.inputShape());
      c.put("rows", TEST.size());
      c.put("features", features.toString());
      c.put("outputs", outputs.toString());
      c.put("captures", captures);
      c.put("order", run.order());
      try (SourceModel m = ModelFormats.open(model)) {
        c.put(
            "ineligible",
            m.layers().stream().filter(l -> l.ineligible().isPresent()).map(Layer::name).toList());
      }
      cases.add(c);
    }
    Path spec = dir.resolve("spec.json");
    Path result = dir.resolve("result.json");
    Map<String, Object> root = new LinkedHashMap<>();
    root.put(
        "fixtures",
        Path.of("..", "datasets", "src", "main", "python", "make_torchscript_fixtures.py")
            .toAbsolutePath()
            .normalize()
            .toString());
    root.put("cases", cases);
    Files.writeString(spec, new Gson().toJson(root));
    Path judge = dir.resolve("capture_judge.py");
    try (var in = getClass().getResourceAsStream("capture_judge.py")) {
      Files.copy(in, judge);
    }
    assertEquals(0, python(judge.toString(), spec.toString(), result.toString()), "judge ran");
    JsonObject verdict = JsonParser.parseString(Files.readString(result)).getAsJsonObject();
    int judged = 0;
    for (JsonElement r : verdict.getAsJsonArray("results")) {
      JsonObject o = r.getAsJsonObject();
      assertEquals(0, o.getAsJsonArray("problems").size(), o.get("name") + ": " + o);
      judged++;
    }
    assertEquals(TorchScriptFixtures.all().size(), judged);
  }

  private static void write(Path file, float[] values) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    Files.write(file, b.array());
  }

  private static int python(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(PYTHON));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(600, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      if (p.exitValue() != 0 && args.length > 1) {
        System.err.println(out);
      }
      return p.exitValue();
    } catch (IOException e) {
      return -1;
    }
  }
}
