package dev.lowrank.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.Dataset;
import dev.lowrank.datasets.mnist.MnistSets;
import dev.lowrank.format.LayerKind;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CNN on Fashion-MNIST (Debian's package, installed by ./test), trained briefly, compressed
 * with {@code --conv}: its two convolutions are factorized, each in the form auto picks, the
 * parameters are counted exactly per form, and the compressed model still classifies.
 */
class CnnFashionExampleTest {

  private static final TrainingPlan SHORT = new TrainingPlan(1, 64, 1e-3f, 42, 3000);

  @TempDir Path tmp;

  @Test
  void trainsAndCompressesItsConvolutions() throws Exception {
    if (!MnistSets.fashionInstalled()) {
      Assumptions.assumeFalse(
          "true".equals(System.getenv("CI")),
          "CI must have Debian's dataset-fashion-mnist (./test installs it)");
      Assumptions.abort("Debian's dataset-fashion-mnist is not installed (./test installs it)");
    }
    DjlExample example = Examples.djl("cnn-fashion");
    assertTrue(example.compressesConvolutions());
    Path model = example.model(SHORT, ExampleTrainer.cacheRoot());
    Dataset test = example.testData(1000);
    double before = DigitsDemo.accuracy(model, test, example.sampleShape());
    assertTrue(before > 0.6, "learns from 3000 images: " + before);
    Path out = tmp.resolve("r8");
    CompressionResult r = Compressor.compress(model, out, example.spec(RankPolicy.rank(8)));
    long convs = 0;
    long saved = 0;
    for (LayerResult l : r.layers()) {
      saved += l.parametersBefore() - l.parametersAfter();
      if (l.layer().kind() == LayerKind.CONV2D) {
        convs++;
        if (l.factorized()) {
          long weights = l.parametersAfter() - l.layer().outFeatures();
          assertEquals(
              l.form().orElseThrow().weightsAtRank(l.layer().conv().orElseThrow(), 8),
              weights,
              l.name());
        }
      }
    }
    assertEquals(2, convs);
    assertTrue(
        r.layer("04Conv2d").orElseThrow().factorized(),
        "the 64-filter convolution is factorized: " + r.toJson());
    assertEquals(r.parametersOriginal() - saved, r.parametersCompressed());
    double after = DigitsDemo.accuracy(out, test, example.sampleShape());
    assertTrue(after > 0.2, "above chance after compression: " + before + " -> " + after);
  }
}
