package dev.lowrank.datasets.testing;

import dev.lowrank.datasets.Cache;
import dev.lowrank.datasets.minilm.MiniLm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The TorchScript copy of all-MiniLM-L6-v2 for tests: made once per cache by the fixture script
 * {@code make_minilm_torchscript.py} with Debian's PyTorch and ONNX ({@code /usr/bin/python3}),
 * then reused (about 5 s to make, 90 MB, never in git).
 */
public final class MiniLmFixture {

  /** The Python the fixture script runs with (Debian's python3-torch and python3-onnx). */
  public static final Path PYTHON = Path.of("/usr/bin/python3");

  private MiniLmFixture() {}

  /**
   * Returns why the copy cannot be made here, or null when it can (or exists already).
   *
   * @return the reason to skip, or {@code null}
   */
  public static String unavailableReason() {
    try {
      if (Files.isRegularFile(MiniLm.torchScriptPath(Cache.root()))) {
        return null;
      }
      Process p =
          new ProcessBuilder(PYTHON.toString(), "-c", "import torch, onnx")
              .redirectErrorStream(true)
              .start();
      p.getInputStream().readAllBytes();
      if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
        return "python3-torch and python3-onnx are needed to make the MiniLM TorchScript copy"
            + " (apt-get install -y python3-torch python3-onnx)";
      }
      return null;
    } catch (IOException e) {
      return PYTHON + " is missing: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /**
   * Returns the TorchScript copy, making it first if the cache lacks it.
   *
   * @return the {@code .pt} file
   * @throws IOException if the script fails
   */
  public static synchronized Path torchScript() throws IOException {
    Path root = Cache.root();
    Path out = MiniLm.torchScriptPath(root);
    if (Files.isRegularFile(out)) {
      return out;
    }
    MiniLm.Files files = MiniLm.files(root);
    Path script = out.resolveSibling("make_minilm_torchscript.py");
    try (InputStream in = MiniLm.script()) {
      Files.write(script, in.readAllBytes());
    }
    try {
      Process p =
          new ProcessBuilder(
                  PYTHON.toString(), script.toString(), files.onnx().toString(), out.toString())
              .redirectErrorStream(true)
              .start();
      String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0 || !Files.isRegularFile(out)) {
        p.destroyForcibly();
        throw new IOException("make_minilm_torchscript.py failed: " + log.strip());
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("Interrupted while making the MiniLM TorchScript copy", e);
    }
  }
}
