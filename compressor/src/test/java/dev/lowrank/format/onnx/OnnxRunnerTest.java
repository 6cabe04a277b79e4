package dev.lowrank.format.onnx;

import static dev.lowrank.format.onnx.OnnxRuntimeJudgeTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lowrank.data.Tensor;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.onnx.OnnxFixtures.Fixture;
import dev.lowrank.format.onnx.OnnxRuntimeJudgeTest.OrtJudge;
import dev.lowrank.format.onnx.ProtoTensors.Floats;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ONNX runner: outputs are the golden ones; each observed layer's input, with its {@code m}
 * inputs on the last axis, is what the layer multiplies (recomputed here from the weights protobuf
 * reads); weights set for a while give what ONNX Runtime gives with those weights as initializer
 * overrides, and reset gives the original back.
 */
class OnnxRunnerTest {

  @TempDir Path dir;

  private static Tensor input(Fixture f) {
    return Tensor.ofFloats("x", f.batchShape(), f.input());
  }

  @ParameterizedTest
  @ValueSource(strings = {"mlp.onnx", "mlp_external.onnx"})
  void observedInputsAreWhatEachLayerMultiplies(String file) throws Exception {
    Fixture f = OnnxFixtures.get(file);
    Path model = f.copyTo(dir);
    Map<String, Floats> w = ProtoTensors.floatInitializers(model);
    if (w.get("fc1.weight") == null) {
      w = ProtoTensors.floatInitializers(OnnxFixtures.get("mlp.onnx").copyTo(dir));
    }
    Map<String, Tensor> seen = new LinkedHashMap<>();
    List<Tensor> out;
    try (SourceModel m = ModelFormats.open(model);
        ModelRunner r = m.runner(Set.of("fc1", "fc2", "fc3"))) {
      assertEquals(List.of("x"), r.inputNames());
      out = r.run(List.of(input(f)), (layer, x) -> seen.put(layer, x));
    }
    assertEquals(1, out.size());
    assertClose(f.output(), out.get(0).floats(), 1e-5, "logits");
    assertEquals(List.of("fc1", "fc2", "fc3"), List.copyOf(seen.keySet()));
    assertArrayEquals(f.input(), seen.get("fc1").floats(), 0f);
    float[] h1 = relu(linear(f.input(), f.batch(), w.get("fc1.weight"), w.get("fc1.bias")));
    assertClose(h1, seen.get("fc2").floats(), 1e-5, "fc2's input");
    float[] h2 = relu(linear(h1, f.batch(), w.get("fc2.weight"), w.get("fc2.bias")));
    assertClose(h2, seen.get("fc3").floats(), 1e-5, "fc3's input");
    assertArrayEquals(new long[] {f.batch(), 64}, seen.get("fc3").shape());
  }

  /** y = x W^T + b for W stored n x m (Gemm with transB). */
  private static float[] linear(float[] x, int batch, Floats w, Floats b) {
    int n = w.rows();
    int m = w.cols();
    float[] y = new float[batch * n];
    for (int s = 0; s < batch; s++) {
      for (int i = 0; i < n; i++) {
        double v = b.values()[i];
        for (int j = 0; j < m; j++) {
          v += w.get(i, j) * x[s * m + j];
        }
        y[s * n + i] = (float) v;
      }
    }
    return y;
  }

  private static float[] relu(float[] v) {
    float[] r = v.clone();
    for (int i = 0; i < r.length; i++) {
      r[i] = Math.max(0, r[i]);
    }
    return r;
  }

  /** Gemm with transA sees its input transposed; the observer gets it with m on the last axis. */
  @Test
  void aTransposedGemmInputIsReportedBatchFirst() throws Exception {
    Fixture f = OnnxFixtures.get("edge.onnx");
    Path model = f.copyTo(dir);
    Map<String, Floats> w = ProtoTensors.floatInitializers(model);
    Map<String, Tensor> seen = new LinkedHashMap<>();
    try (SourceModel m = ModelFormats.open(model);
        ModelRunner r = m.runner(Set.of("gemm", "blk", "seq.proj", "left"))) {
      assertEquals(List.of("x"), r.inputNames());
      List<Tensor> out = r.run(List.of(input(f)), (layer, x) -> seen.put(layer, x));
      assertClose(f.output(), out.get(0).floats(), f.tolerance(), "edge output");
    }
    Tensor q = seen.get("gemm");
    assertArrayEquals(new long[] {f.batch(), 8}, q.shape());
    assertArrayEquals(new long[] {f.batch(), 16}, seen.get("left").shape());
    assertArrayEquals(new long[] {f.batch(), 2, 3}, seen.get("seq.proj").shape());
    // u2 = (0.5 q W_gemm + 2 c) W_sub W_sub is the input of blk.
    Floats wg = w.get("w_gemm");
    Floats c = w.get("c_gemm");
    Floats ws = w.get("w_sub");
    float[] g = new float[f.batch() * 12];
    for (int s = 0; s < f.batch(); s++) {
      for (int j = 0; j < 12; j++) {
        double v = 0;
        for (int k = 0; k < 8; k++) {
          v += q.floats()[s * 8 + k] * wg.get(k, j);
        }
        g[s * 12 + j] = (float) (0.5 * v + 2 * c.values()[j]);
      }
    }
    float[] u = matmul(matmul(g, f.batch(), ws), f.batch(), ws);
    assertClose(u, seen.get("blk").floats(), 1e-5, "blk's input from gemm's observed input");
  }

  private static float[] matmul(float[] x, int batch, Floats w) {
    int k = w.rows();
    int n = w.cols();
    float[] y = new float[batch * n];
    for (int s = 0; s < batch; s++) {
      for (int j = 0; j < n; j++) {
        double v = 0;
        for (int i = 0; i < k; i++) {
          v += x[s * k + i] * w.get(i, j);
        }
        y[s * n + j] = (float) v;
      }
    }
    return y;
  }

  @ParameterizedTest
  @ValueSource(strings = {"mlp.onnx", "mlp_external.onnx", "transformer.onnx"})
  void weightsSetForAWhileGiveWhatOnnxRuntimeGivesWithThem(String file) throws Exception {
    Fixture f = OnnxFixtures.get(file);
    Path model = f.copyTo(dir);
    Map<String, FloatMatrix> replaced = new LinkedHashMap<>();
    try (SourceModel m = ModelFormats.open(model)) {
      Map<String, LowRankFactors> factors = OnnxTesting.factors(m, l -> 4);
      factors.forEach((k, v) -> replaced.put(k, v.product()));
      Map<String, Floats> before =
          ProtoTensors.floatInitializers(
              f.data().isPresent() ? OnnxFixtures.get("mlp.onnx").copyTo(dir) : model);
      Map<String, float[]> values = new LinkedHashMap<>();
      Map<String, long[]> dims = new LinkedHashMap<>();
      for (Layer l : m.layers()) {
        if (replaced.containsKey(l.name())) {
          OrtJudge.Stored s = OrtJudge.find(before, m.readWeight(l));
          FloatMatrix ba = replaced.get(l.name());
          values.put(s.name(), s.transposed() ? transposed(ba) : ba.data());
          dims.put(s.name(), s.dims());
        }
      }
      float[] expected = OrtJudge.run(model, f, OrtJudge.tensors(values, dims));
      try (ModelRunner r = m.runner(Set.of())) {
        float[] plain = r.run(List.of(input(f)), (a, b) -> {}).get(0).floats();
        assertClose(f.output(), plain, 1e-5, "before setWeights");
        r.setWeights(replaced);
        float[] set = r.run(List.of(input(f)), (a, b) -> {}).get(0).floats();
        assertClose(expected, set, 1e-5, "with B A");
        r.resetWeights();
        float[] reset = r.run(List.of(input(f)), (a, b) -> {}).get(0).floats();
        assertClose(f.output(), reset, 1e-5, "after resetWeights");
        r.setWeights(Map.of());
        assertClose(
            f.output(), r.run(List.of(input(f)), (a, b) -> {}).get(0).floats(), 1e-5, "empty");
      }
    }
  }

  private static float[] transposed(FloatMatrix m) {
    float[] t = new float[m.rows() * m.cols()];
    for (int i = 0; i < m.rows(); i++) {
      for (int j = 0; j < m.cols(); j++) {
        t[j * m.rows() + i] = m.get(i, j);
      }
    }
    return t;
  }

  @Test
  void misuseIsRefusedWithWhatToDo() throws Exception {
    Path model = OnnxFixtures.get("edge.onnx").copyTo(dir);
    try (SourceModel m = ModelFormats.open(model)) {
      assertThrows(IllegalArgumentException.class, () -> m.runner(Set.of("no-such-layer")));
      assertThrows(IllegalArgumentException.class, () -> m.runner(Set.of("quant")));
      assertThrows(IllegalArgumentException.class, () -> m.runner(Set.of("half")));
      try (ModelRunner r = m.runner(Set.of())) {
        assertThrows(
            IllegalArgumentException.class,
            () -> r.setWeights(Map.of("gemm", FloatMatrix.zeros(3, 3))));
        assertThrows(
            IllegalArgumentException.class,
            () -> r.setWeights(Map.of("input", FloatMatrix.zeros(16, 16))));
        assertThrows(IllegalArgumentException.class, () -> r.run(List.of(), (a, b) -> {}));
      }
    }
  }
}
