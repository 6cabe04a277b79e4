package dev.lowrank.eval.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs Debian's {@code /usr/bin/python3} with PyTorch as a reference judge. Under {@code CI=true} a
 * missing torch fails the test; elsewhere the test is skipped, saying why.
 */
public final class PythonTorch {

  /** The interpreter the tests use (Debian's, which has python3-torch). */
  public static final Path PYTHON = Path.of("/usr/bin/python3");

  private PythonTorch() {}

  /** Skips (or, on CI, fails) the calling test when python3 with torch is not installed. */
  public static void require() {
    boolean ok;
    try {
      Process p =
          new ProcessBuilder(PYTHON.toString(), "-c", "import torch")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      ok = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      ok = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ok = false;
    }
    if (!ok && "true".equals(System.getenv("CI"))) {
      fail("CI=true but " + PYTHON + " cannot import torch (./test installs python3-torch)");
    }
    Assumptions.assumeTrue(
        ok, PYTHON + " with torch is not installed; ./test installs python3-torch to judge eval");
  }

  /**
   * Runs a script and returns its standard output.
   *
   * @param script the script file
   * @param args its arguments
   * @return what it printed
   * @throws Exception if it fails or takes more than 3 minutes
   */
  public static String run(Path script, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), script.toString()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile("torch", ".out");
    Path err = Files.createTempFile("torch", ".err");
    try {
      ProcessBuilder pb =
          new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().put("OMP_NUM_THREADS", "1");
      Process p = pb.start();
      if (!p.waitFor(180, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(script + " did not finish within 3 minutes");
      }
      assertEquals(0, p.exitValue(), () -> script + " failed: " + read(err));
      return read(out);
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }
}
