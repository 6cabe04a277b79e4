package dev.lowrank.format.onnx;

import static dev.lowrank.format.onnx.OnnxRuntimeJudgeTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.Tensor;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.onnx.OnnxRuntimeJudgeTest.OrtJudge;
import dev.lowrank.format.onnx.ProtoTensors.Floats;
import dev.lowrank.linalg.FloatMatrix;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real model: all-MiniLM-L6-v2 (sentence-transformers' 6-layer BERT encoder, 22.7M parameters,
 * exported by PyTorch 2.0.1 at opset 11) from langchain4j's Maven artifact. Its 36 encoder linear
 * layers are found and named after their modules; compressing them to half their weights ({@code
 * --ratio 0.5}) gives a file that ONNX Runtime runs to the outputs of the original with each W
 * replaced by B A, that shrinks in proportion to the parameters, and that the ONNX checker accepts;
 * the runner feeds the three int64 inputs and reports each layer's input.
 */
class MiniLmTest {

  private static final long[] IDS = {
    101, 2023, 2003, 1037, 3231, 6251, 1012, 102, 101, 7592, 2088, 102, 0, 0, 0, 0
  };
  private static final long[] MASK = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
  private static final long[] SHAPE = {2, 8};

  @TempDir static Path dir;
  private static Path model;
  private static Path half;
  private static CompressionResult result;

  @BeforeAll
  static void compressToHalfTheEncodersWeights() throws Exception {
    model = MiniLm.model();
    half = dir.resolve("minilm-half.onnx");
    result =
        Compressor.compress(
            model, half, CompressionSpec.builder().setPolicy(RankPolicy.ratio(0.5)).build());
  }

  @Test
  void theEncodersLinearLayersAreFoundAndNamed() throws Exception {
    try (SourceModel m = ModelFormats.open(model)) {
      assertEquals("onnx", m.format().name());
      assertEquals(22_565_376L, m.parameterCount());
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        for (String s :
            List.of(
                "attention.self.query",
                "attention.self.key",
                "attention.self.value",
                "attention.output.dense",
                "intermediate.dense",
                "output.dense")) {
          expected.add("encoder.layer." + i + "." + s);
        }
      }
      assertEquals(expected, m.layers().stream().map(Layer::name).toList());
      assertTrue(m.layers().stream().allMatch(l -> l.factorizable() && l.hasBias()));
      assertEquals(
          List.of("384x384", "384x384", "384x384", "384x384", "1536x384", "384x1536"),
          m.layers().subList(0, 6).stream().map(Layer::shape).toList());
    }
  }

  @Test
  void halfTheWeightsShrinkTheFileInProportion() throws Exception {
    long encoder = 6L * (4 * 384 * 384 + 2 * 384 * 1536);
    long saved = result.parametersOriginal() - result.parametersCompressed();
    assertTrue(saved >= 0.5 * encoder && saved <= 0.52 * encoder, saved + " of " + encoder);
    assertTrue(result.layers().stream().allMatch(LayerResult::factorized));
    double params = (double) result.parametersCompressed() / result.parametersOriginal();
    double bytes = (double) Files.size(half) / Files.size(model);
    assertEquals(params, bytes, 0.005, "file size against parameters");
  }

  private static Map<String, OnnxTensor> inputs(OrtEnvironment env) throws Exception {
    Map<String, OnnxTensor> in = new LinkedHashMap<>();
    in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(IDS), SHAPE));
    in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(MASK), SHAPE));
    in.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[16]), SHAPE));
    return in;
  }

  private static float[] run(Path file, Map<String, OnnxTensor> overrides) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, OnnxTensor> in = inputs(env);
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
      for (Map.Entry<String, OnnxTensor> e : overrides.entrySet()) {
        opts.addInitializer(e.getKey(), e.getValue());
      }
      try (OrtSession s = env.createSession(file.toString(), opts);
          OrtSession.Result r = s.run(in)) {
        FloatBuffer b = ((OnnxTensor) r.get(0)).getFloatBuffer();
        float[] out = new float[b.remaining()];
        b.get(out);
        return out;
      }
    } finally {
      in.values().forEach(OnnxTensor::close);
      overrides.values().forEach(OnnxTensor::close);
    }
  }

  @Test
  void onnxRuntimeGivesTheOriginalWithEachWReplacedByBa() throws Exception {
    Map<String, Floats> before = ProtoTensors.floatInitializers(model);
    Map<String, Floats> after = ProtoTensors.floatInitializers(half);
    Map<String, float[]> values = new LinkedHashMap<>();
    Map<String, long[]> dims = new LinkedHashMap<>();
    try (SourceModel m = ModelFormats.open(model)) {
      for (Layer l : m.layers()) {
        OrtJudge.Stored s = OrtJudge.find(before, m.readWeight(l));
        assertTrue(s.transposed(), "MatMul keeps W^T");
        Floats at = after.get(l.name() + ".lowrank_a");
        Floats bt = after.get(l.name() + ".lowrank_b");
        // W^T = A^T B^T, by BLAS (linalg's product, not the format's code).
        float[] wt =
            FloatMatrix.wrap(at.rows(), at.cols(), at.values())
                .times(FloatMatrix.wrap(bt.rows(), bt.cols(), bt.values()))
                .data();
        values.put(s.name(), wt);
        dims.put(s.name(), s.dims());
      }
    }
    float[] expected = run(model, OrtJudge.tensors(values, dims));
    float[] actual = run(half, Map.of());
    assertEquals(2 * 8 * 384, actual.length);
    assertClose(expected, actual, 1e-4, "last_hidden_state");
  }

  @Test
  void theRunnerFeedsTokenIdsAndReportsEachLayersInput() throws Exception {
    float[] direct = run(model, Map.of());
    Map<String, long[]> shapes = new LinkedHashMap<>();
    try (SourceModel m = ModelFormats.open(model);
        ModelRunner r =
            m.runner(
                Set.of("encoder.layer.0.attention.self.query", "encoder.layer.5.output.dense"))) {
      assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), r.inputNames());
      List<Tensor> out =
          r.run(
              List.of(
                  Tensor.ofLongs("input_ids", SHAPE, IDS),
                  Tensor.ofLongs("attention_mask", SHAPE, MASK),
                  Tensor.ofLongs("token_type_ids", SHAPE, new long[16])),
              (layer, x) -> shapes.put(layer, x.shape()));
      assertArrayEquals(new long[] {2, 8, 384}, out.get(0).shape());
      assertClose(direct, out.get(0).floats(), 1e-5, "runner against ONNX Runtime");
    }
    assertArrayEquals(new long[] {2, 8, 384}, shapes.get("encoder.layer.0.attention.self.query"));
    assertArrayEquals(new long[] {2, 8, 1536}, shapes.get("encoder.layer.5.output.dense"));
  }

  @Test
  void theOnnxCheckerAcceptsTheCompressedModel() throws Exception {
    PythonOnnx.assumeInstalled();
    Path judge = Files.createDirectories(dir.resolve("judge"));
    Path out = judge.resolve("minilm-r32.onnx");
    PythonOnnx.judge(
        judge, List.of(OnnxCheckerJudgeTest.compress("all-MiniLM-L6-v2", model, model, out, 32)));
  }
}
