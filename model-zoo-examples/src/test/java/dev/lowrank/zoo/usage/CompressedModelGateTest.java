package dev.lowrank.zoo.usage;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.Dataset;
import dev.lowrank.eval.gate.AccuracyGate;
import dev.lowrank.zoo.DjlExample;
import dev.lowrank.zoo.ExampleTrainer;
import dev.lowrank.zoo.Examples;
import dev.lowrank.zoo.TrainingPlan;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kind of test a user puts in CI: compress the production model, evaluate it on held-out data,
 * and fail the build when the accuracy drop passes a bound.
 */
class CompressedModelGateTest {

  @TempDir Path tmp;

  @Test
  void theCompressedModelStaysWithinTwoPercentagePoints() throws Exception {
    DjlExample example = Examples.djl("mlp-digits");
    Path model = example.model(new TrainingPlan(10, 32, 1e-3f, 3), ExampleTrainer.cacheRoot());
    Dataset holdout = example.testData(Integer.MAX_VALUE).withName("digits holdout");

    Path compressed = tmp.resolve("mlp-energy-0.95");
    Compressor.compress(
        model, compressed, CompressionSpec.builder().setPolicy(RankPolicy.energy(0.95)).build());
    AccuracyGate.assertWithinDrop(model, compressed, holdout, 0.02);

    // The same gate catches a compression that goes too far.
    Path tooSmall = tmp.resolve("mlp-rank-2");
    Compressor.compress(
        model, tooSmall, CompressionSpec.builder().setPolicy(RankPolicy.rank(2)).build());
    assertThrows(
        AssertionError.class, () -> AccuracyGate.assertWithinDrop(model, tooSmall, holdout, 0.02));
  }
}
