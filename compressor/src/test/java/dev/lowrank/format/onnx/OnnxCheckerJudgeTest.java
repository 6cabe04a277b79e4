package dev.lowrank.format.onnx;

import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.onnx.OnnxFixtures.Fixture;
import dev.lowrank.format.onnx.OnnxRuntimeJudgeTest.OrtJudge;
import dev.lowrank.linalg.LowRankFactors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's python3-onnx is the judge of every fixture's compressed output (at two ranks, and
 * compressed twice): {@code onnx.checker.check_model(..., full_check=True)} accepts it, IR version
 * and operator sets are kept, the factors are at the Eckart-Young optimum by NumPy's SVD, and the
 * parameter count is the one lowrank reports.
 */
class OnnxCheckerJudgeTest {

  @TempDir Path dir;

  @BeforeAll
  static void needsOnnx() throws Exception {
    PythonOnnx.assumeInstalled();
  }

  @Test
  void theOnnxCheckerAcceptsEveryOutput() throws Exception {
    List<Map<String, Object>> cases = new ArrayList<>();
    for (Fixture f : OnnxFixtures.all()) {
      Path folder = Files.createDirectories(dir.resolve(f.file().replace(".onnx", "")));
      Path original = f.copyTo(folder);
      for (int rank : new int[] {1, 3}) {
        Path out = folder.resolve("r" + rank + ".onnx");
        cases.add(compress(f.file() + " rank " + rank, original, original, out, rank));
      }
      Path twice = folder.resolve("twice.onnx");
      cases.add(compress(f.file() + " twice", original, folder.resolve("r1.onnx"), twice, 2));
    }
    PythonOnnx.judge(dir, cases);
  }

  /** Compresses {@code input} (the original or an output of it) and describes the case. */
  static Map<String, Object> compress(String name, Path original, Path input, Path out, int rank)
      throws Exception {
    Map<String, Object> layers = new LinkedHashMap<>();
    long params;
    try (SourceModel m = ModelFormats.open(input)) {
      Map<String, LowRankFactors> factors = OnnxTesting.factors(m, l -> rank);
      m.write(out, factors, OnnxTesting.manifest(m, factors));
      Map<String, ProtoTensors.Floats> before = ProtoTensors.floatInitializers(original);
      for (Layer l : m.layers()) {
        if (factors.containsKey(l.name())) {
          OrtJudge.Stored s = OrtJudge.find(before, m.readWeight(l));
          layers.put(
              l.name(), Map.of("weight", s.name(), "transposed", s.transposed(), "rank", rank));
        }
      }
    }
    try (SourceModel back = ModelFormats.open(out)) {
      params = back.parameterCount();
    }
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("name", name);
    c.put("original", input.toString());
    c.put("output", out.toString());
    c.put("layers", layers);
    c.put("javaParams", params);
    return c;
  }
}
