package dev.lowrank.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lowrank.runtime.ManifestFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * A service that only loads compressed DJL models needs the lowrank runtime and nothing of the
 * compressor: this module's classpath has neither (see {@code mvn dependency:tree -pl
 * service-example}), and the golden compressed model (made by the zoo's GoldenServiceModelTest)
 * loads, holds its factors and answers as it did when it was written.
 */
class RuntimeOnlyServiceTest {

  private static final Path GOLDEN = Path.of("src/test/resources/dev/lowrank/service");

  @Test
  void theClasspathHoldsNoCompressorNativesOrRewriting() {
    for (String absent :
        List.of(
            "dev.lowrank.compress.Compressor",
            "dev.lowrank.format.SourceModel",
            "org.bytedeco.openblas.global.openblas",
            "org.bytedeco.javacpp.Loader",
            "org.nd4j.linalg.factory.Nd4j")) {
      assertThrows(ClassNotFoundException.class, () -> Class.forName(absent), absent);
    }
  }

  @Test
  void servesTheGoldenCompressedModelFromSeveralThreads() throws Exception {
    Path model = GOLDEN.resolve("mlp-digits-r8");
    assertEquals(
        List.of(8, 8),
        ManifestFile.factorizedLayers(model.resolve(ManifestFile.FILE_NAME)).stream()
            .map(ManifestFile.FactorizedLayer::rank)
            .toList());
    JsonObject expected =
        JsonParser.parseString(
                Files.readString(GOLDEN.resolve("expected.json"), StandardCharsets.UTF_8))
            .getAsJsonObject();
    try (InferenceService service = InferenceService.open(model, new Shape(64), 3)) {
      ExecutorService clients = Executors.newFixedThreadPool(4);
      List<JsonElement> samples = expected.getAsJsonArray("samples").asList();
      List<Future<float[]>> answers =
          samples.stream()
              .map(s -> clients.submit(() -> service.predict(floats(s, "input"))))
              .toList();
      int correct = 0;
      for (int i = 0; i < samples.size(); i++) {
        float[] want = floats(samples.get(i), "output");
        float[] got = answers.get(i).get();
        assertArrayEquals(want, got, 1e-5f, "sample " + i);
        int label = samples.get(i).getAsJsonObject().get("label").getAsInt();
        correct += service.classify(floats(samples.get(i), "input")) == label ? 1 : 0;
      }
      clients.shutdown();
      assertTrue(correct >= 8, correct + " of 10 digits right at rank 8");
      assertThrows(IOException.class, () -> service.predict(new float[3]));
    }
  }

  private static float[] floats(JsonElement sample, String field) {
    List<JsonElement> values = sample.getAsJsonObject().getAsJsonArray(field).asList();
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i).getAsFloat();
    }
    return out;
  }
}
