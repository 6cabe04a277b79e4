package dev.lowrank.format.onnx;

import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's python3-onnx as a judge: runs onnx_judge.py on a list of cases. Skips the calling test
 * with a reason when {@code /usr/bin/python3} cannot import onnx, and fails it under {@code
 * CI=true}, where ./test installs the package.
 */
final class PythonOnnx {

  static final String PYTHON = "/usr/bin/python3";

  private PythonOnnx() {}

  static void assumeInstalled() throws Exception {
    boolean ok = exec(List.of(PYTHON, "-c", "import onnx, numpy")).exit() == 0;
    if (!ok && "true".equals(System.getenv("CI"))) {
      fail(PYTHON + " cannot import onnx; CI must install python3-onnx (apt-get)");
    }
    Assumptions.assumeTrue(
        ok, "skipped: " + PYTHON + " with onnx (Debian python3-onnx) is not installed");
  }

  record Result(int exit, String output) {}

  static Result exec(List<String> cmd) throws Exception {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(600, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-1, "timed out");
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return new Result(-1, e.getMessage());
    }
  }

  /**
   * Runs the judge on cases and fails the test with its report when it finds anything.
   *
   * @param dir a scratch folder
   * @param cases one map per output (see onnx_judge.py)
   */
  static void judge(Path dir, List<Map<String, Object>> cases) throws Exception {
    Path script = dir.resolve("onnx_judge.py");
    try (InputStream in =
        PythonOnnx.class.getResourceAsStream("/dev/lowrank/format/onnx/onnx_judge.py")) {
      Files.copy(in, script);
    }
    Path json = dir.resolve("cases.json");
    Files.writeString(json, new GsonBuilder().create().toJson(cases));
    Result r = exec(List.of(PYTHON, script.toString(), json.toString()));
    if (r.exit() != 0) {
      fail("the ONNX judge failed (exit " + r.exit() + "):\n" + r.output());
    }
  }
}
