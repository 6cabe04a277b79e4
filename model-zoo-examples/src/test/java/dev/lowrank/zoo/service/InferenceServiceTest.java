package dev.lowrank.zoo.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.Dataset;
import dev.lowrank.service.InferenceService;
import dev.lowrank.zoo.DigitsDemo;
import dev.lowrank.zoo.DjlExample;
import dev.lowrank.zoo.ExampleTrainer;
import dev.lowrank.zoo.Examples;
import dev.lowrank.zoo.TrainingPlan;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InferenceServiceTest {

  @TempDir Path tmp;

  @Test
  void servesACompressedModelFromSeveralThreadsWithTheSameAnswers() throws Exception {
    DjlExample example = Examples.djl("mlp-digits");
    Path model = example.model(new TrainingPlan(5, 32, 1e-3f, 3), ExampleTrainer.cacheRoot());
    Path compressed = tmp.resolve("r16");
    Compressor.compress(
        model, compressed, CompressionSpec.builder().setPolicy(RankPolicy.rank(16)).build());
    Dataset test = example.testData(Integer.MAX_VALUE);
    try (InferenceService service = InferenceService.open(compressed, example.sampleShape(), 3)) {
      ExecutorService clients = Executors.newFixedThreadPool(4);
      List<Future<Integer>> answers = new ArrayList<>();
      for (int i = 0; i < test.size(); i++) {
        float[] x = test.features(i);
        answers.add(clients.submit(() -> service.classify(x)));
      }
      int correct = 0;
      for (int i = 0; i < test.size(); i++) {
        correct += answers.get(i).get() == test.label(i) ? 1 : 0;
      }
      clients.shutdown();
      double batched = DigitsDemo.accuracy(compressed, test, example.sampleShape());
      assertEquals(batched, (double) correct / test.size(), 1e-12, "same answers one by one");
      assertThrows(IOException.class, () -> service.predict(new float[3]));
    }
    ServiceComparison.Result r =
        ServiceComparison.compare(model, compressed, example.sampleShape(), test, 2, 200);
    assertEquals(200, r.requests());
    assertTrue(r.original().p50Ms() > 0 && r.compressed().p50Ms() > 0, r.toString());
  }
}
