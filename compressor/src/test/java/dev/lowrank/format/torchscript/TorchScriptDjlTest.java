package dev.lowrank.format.torchscript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.ManifestJson;
import dev.lowrank.datasets.Digits;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.torchscript.TorchScriptFixtures.Fixture;
import dev.lowrank.linalg.LowRankFactors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Outputs load and run in DJL (PyTorch engine, libtorch 2.7.1), which checks that lowrank's
 * archives are valid for PyTorch 2.x, without Python: a rewrite without factors predicts exactly as
 * the original, full-rank factors within float error, and rank 16 keeps the accuracy.
 */
class TorchScriptDjlTest {

  @TempDir Path dir;

  static Stream<Fixture> fixtures() {
    return TorchScriptFixtures.all().stream();
  }

  private Path write(SourceModel m, Map<String, LowRankFactors> factors, String name)
      throws Exception {
    Path out = dir.resolve(name + ".pt");
    m.write(out, factors, TestCompression.bytes(TestCompression.manifest(m, factors)));
    return out;
  }

  @ParameterizedTest
  @MethodSource("fixtures")
  void rewritesPredictLikeTheOriginalInDjl(Fixture f) throws Exception {
    Path in = f.copyTo(dir);
    DjlRunner.Result original = DjlRunner.run(in, f.inputShape());
    assertEquals(f.testAccuracy(), original.accuracy(Digits.test()), 1e-6, "DJL vs PyTorch 1.13");
    try (SourceModel m = ModelFormats.open(in)) {
      Path same = write(m, Map.of(), "same");
      assertEquals(0.0, DjlRunner.run(same, f.inputShape()).maxRelativeDiff(original));

      Map<String, LowRankFactors> full =
          TestCompression.factors(m, (n, k) -> Math.min(n, k), name -> false);
      assertFalse(full.isEmpty());
      DjlRunner.Result fullRank = DjlRunner.run(write(m, full, "full"), f.inputShape());
      assertTrue(
          fullRank.maxRelativeDiff(original) < 1e-4,
          "full rank: " + fullRank.maxRelativeDiff(original));

      Map<String, LowRankFactors> r16 = TestCompression.factors(m, 16, name -> false);
      Path out16 = write(m, r16, "r16");
      DjlRunner.Result rank16 = DjlRunner.run(out16, f.inputShape());
      assertTrue(
          rank16.accuracy(Digits.test()) >= f.testAccuracy() - 0.05,
          "rank 16 accuracy " + rank16.accuracy(Digits.test()));
      CompressionResult manifest = ManifestJson.parse(rank16.manifest().orElseThrow(), out16);
      assertEquals(TestCompression.manifest(m, r16), manifest);
      if (manifest.parameterRatio() < 0.8) {
        assertTrue(Files.size(out16) < Files.size(in), "the file shrinks");
      }
    }
  }
}
