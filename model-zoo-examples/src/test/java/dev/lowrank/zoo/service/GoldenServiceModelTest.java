package dev.lowrank.zoo.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.basicmodelzoo.basic.MlpBlockFactory;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.ModelSummary;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.Dataset;
import dev.lowrank.datasets.Digits;
import dev.lowrank.datasets.training.ClassifierTraining;
import dev.lowrank.io.OutputFiles;
import dev.lowrank.runtime.ManifestFile;
import dev.lowrank.service.InferenceService;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The golden compressed model that the service example's tests load with the lowrank runtime alone
 * ({@code service-example/src/test/resources/dev/lowrank/service/mlp-digits-r8}): an MLP built by
 * DJL's own {@link MlpBlockFactory} (64-64-32-10), trained on the digits and compressed at rank 8,
 * with the inputs and outputs the service test checks in {@code expected.json}.
 *
 * <p>This test checks that the checked-in model is still what this lowrank reads and writes: its
 * manifest format version, its layers and ranks, that the runtime loads its blocks (which checks
 * their serialization version) and that it still gives the recorded answers. To regenerate it after
 * a format change, run {@code mvn -pl model-zoo-examples -am test -Dtest=GoldenServiceModelTest
 * -Dlowrank.golden.regenerate=true -Dsurefire.failIfNoSpecifiedTests=false} and commit the files.
 */
class GoldenServiceModelTest {

  static final Path GOLDEN =
      Path.of("..", "service-example", "src", "test", "resources", "dev", "lowrank", "service");

  @TempDir Path tmp;

  @Test
  void theServicesGoldenModelIsWhatThisLowrankWrites() throws Exception {
    if (Boolean.getBoolean("lowrank.golden.regenerate")) {
      regenerate();
    }
    Path model = GOLDEN.resolve("mlp-digits-r8");
    ModelSummary summary = Compressor.inspect(model);
    CompressionResult manifest = summary.manifest().orElseThrow();
    assertEquals(3, manifest.layers().size(), manifest.toJson());
    assertTrue(
        manifest.layers().subList(0, 2).stream().allMatch(LayerResult::factorized),
        manifest.toJson());
    assertEquals(summary.parameters(), manifest.parametersCompressed());
    assertEquals(
        ManifestFile.FORMAT_VERSION,
        JsonParser.parseString(
                Files.readString(model.resolve(ManifestFile.FILE_NAME), StandardCharsets.UTF_8))
            .getAsJsonObject()
            .get("formatVersion")
            .getAsInt());
    // Loading checks every saved LowRankLinear's block version; the answers check the factors.
    JsonObject expected =
        JsonParser.parseString(
                Files.readString(GOLDEN.resolve("expected.json"), StandardCharsets.UTF_8))
            .getAsJsonObject();
    try (InferenceService service = InferenceService.open(model, new Shape(64), 1)) {
      for (JsonElement sample : expected.getAsJsonArray("samples")) {
        float[] x = floats(sample.getAsJsonObject().getAsJsonArray("input"));
        float[] y = floats(sample.getAsJsonObject().getAsJsonArray("output"));
        assertArrayEquals(y, service.predict(x), 1e-5f);
      }
    }
  }

  private static float[] floats(JsonArray values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i).getAsFloat();
    }
    return out;
  }

  private void regenerate() throws Exception {
    Path dense = tmp.resolve("mlp-digits");
    Files.createDirectories(dense);
    Properties serving = new Properties();
    serving.setProperty("engine", "PyTorch");
    serving.setProperty("blockFactory", MlpBlockFactory.class.getName());
    serving.setProperty("width", "8");
    serving.setProperty("height", "8");
    serving.setProperty("output", "10");
    serving.setProperty("hidden", "64,32");
    serving.setProperty("option.modelName", "mlp");
    try (Model model = Model.newInstance("mlp", "PyTorch")) {
      model.setBlock(
          new MlpBlockFactory()
              .newBlock(
                  model,
                  dense,
                  Map.of("width", "8", "height", "8", "output", "10", "hidden", "64,32")));
      ClassifierTraining.fit(
          model, Digits.train(), new Shape(64), new ClassifierTraining.Settings(8, 32, 3e-3f, 7));
      model.save(dense, "mlp");
    }
    try (OutputStream out = Files.newOutputStream(dense.resolve("serving.properties"))) {
      serving.store(out, "DJL's MLP on the digits (golden model of the service example)");
    }
    Path target = GOLDEN.resolve("mlp-digits-r8");
    OutputFiles.deleteRecursively(target);
    Compressor.compress(
        dense, target, CompressionSpec.builder().setPolicy(RankPolicy.rank(8)).build());
    Dataset test = Digits.test().select(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    JsonObject expected = new JsonObject();
    expected.addProperty("data", "digits test split");
    JsonArray samples = new JsonArray();
    try (InferenceService service = InferenceService.open(target, new Shape(64), 1)) {
      for (int i = 0; i < test.size(); i++) {
        JsonObject s = new JsonObject();
        JsonArray x = new JsonArray();
        for (float v : test.features(i)) {
          x.add(v);
        }
        JsonArray y = new JsonArray();
        for (float v : service.predict(test.features(i))) {
          y.add(v);
        }
        s.add("input", x);
        s.add("output", y);
        s.addProperty("label", test.label(i));
        samples.add(s);
      }
    }
    expected.add("samples", samples);
    Files.writeString(
        GOLDEN.resolve("expected.json"),
        new GsonBuilder().setPrettyPrinting().create().toJson(expected) + "\n");
  }
}
