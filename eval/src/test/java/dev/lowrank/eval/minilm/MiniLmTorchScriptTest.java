package dev.lowrank.eval.minilm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.Tensor;
import dev.lowrank.data.TextData;
import dev.lowrank.datasets.minilm.MiniLm;
import dev.lowrank.datasets.testing.TextFixture;
import dev.lowrank.datasets.text.TextSets;
import dev.lowrank.eval.model.InferenceModel;
import dev.lowrank.eval.model.InferenceSession;
import dev.lowrank.eval.model.Outputs;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.testing.MiniLmModels;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * The TorchScript copy of all-MiniLM-L6-v2 against the original ONNX file run by ONNX Runtime's
 * Java API, on the same tokens of real texts (SpamAssassin test messages, batches padded to their
 * longest text): the per-token states agree to float32 rounding, and so do the mean-pooled sentence
 * embeddings.
 */
class MiniLmTorchScriptTest {

  /** Texts compared; 2 batches of 16. */
  private static final int TEXTS = 32;

  @Test
  void torchScriptCopyMatchesTheOnnxModel() throws Exception {
    Path pt = MiniLmModels.torchScript();
    MiniLm.Files files = MiniLmModels.files();
    Path cache = TextFixture.cacheOrSkip();
    List<String> texts =
        new ArrayList<>(TextSets.spamClassification(cache, TextSets.Part.TEST, TEXTS - 2).texts());
    texts.add("Hello world.");
    texts.add("a");
    Dataset data =
        TextData.tokenize("texts", texts, Optional.empty(), files.tokenizer(), OptionalInt.empty());
    double maxState = 0;
    double maxTokenState = 0;
    double maxMagnitude = 0;
    double maxEmbedding = 0;
    double minCosine = 1;
    try (InferenceModel model = InferenceModel.load(pt);
        InferenceSession session = model.newSession();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), model.inputNames());
      options.setIntraOpNumThreads(1);
      try (OrtSession onnx = env.createSession(files.onnx().toString(), options)) {
        for (int start = 0; start < TEXTS; start += 16) {
          List<Tensor> batch = data.batch(start, 16);
          Outputs states = session.run(batch, Optional.empty());
          Outputs pooled = session.run(batch, Optional.of(Pooling.MEAN));
          long[] shape = batch.get(0).shape();
          float[][][] reference = runOnnx(env, onnx, batch);
          int tokens = (int) shape[1];
          assertEquals(tokens * MiniLm.HIDDEN, states.width());
          float[] flat = new float[16 * tokens * MiniLm.HIDDEN];
          for (int b = 0; b < 16; b++) {
            for (int t = 0; t < tokens; t++) {
              for (int h = 0; h < MiniLm.HIDDEN; h++) {
                float ref = reference[b][t][h];
                flat[(b * tokens + t) * MiniLm.HIDDEN + h] = ref;
                double diff = Math.abs(states.get(b, t * MiniLm.HIDDEN + h) - ref);
                maxState = Math.max(maxState, diff);
                maxMagnitude = Math.max(maxMagnitude, Math.abs(ref));
                if (batch.get(1).longs()[b * tokens + t] == 1) {
                  maxTokenState = Math.max(maxTokenState, diff);
                }
              }
            }
          }
          float[] expected =
              Pooling.MEAN.pool(flat, 16, tokens, MiniLm.HIDDEN, batch.get(1).longs());
          for (int b = 0; b < 16; b++) {
            double dot = 0;
            for (int h = 0; h < MiniLm.HIDDEN; h++) {
              float e = expected[b * MiniLm.HIDDEN + h];
              maxEmbedding = Math.max(maxEmbedding, Math.abs(pooled.get(b, h) - e));
              dot += e * pooled.get(b, h);
            }
            minCosine = Math.min(minCosine, dot);
          }
        }
      }
    }
    System.out.printf(
        "MiniLM TorchScript vs ONNX Runtime on %d texts: max |state diff| %.2e (text tokens"
            + " %.2e, max |state| %.1f), max |embedding diff| %.2e, min cosine %.8f%n",
        TEXTS, maxState, maxTokenState, maxMagnitude, maxEmbedding, minCosine);
    assertTrue(maxTokenState < 2e-5, "text tokens' states differ by " + maxTokenState);
    assertTrue(maxState < 5e-4, "padding positions' states differ by " + maxState);
    assertTrue(maxEmbedding < 1e-5, "sentence embeddings differ by " + maxEmbedding);
    assertTrue(minCosine > 0.99999, "cosine " + minCosine);
  }

  private static float[][][] runOnnx(OrtEnvironment env, OrtSession onnx, List<Tensor> batch)
      throws Exception {
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      for (Tensor t : batch) {
        inputs.put(t.name(), OnnxTensor.createTensor(env, LongBuffer.wrap(t.longs()), t.shape()));
      }
      try (OrtSession.Result r = onnx.run(inputs)) {
        return (float[][][]) r.get(0).getValue();
      }
    } finally {
      for (OnnxTensor t : inputs.values()) {
        t.close();
      }
    }
  }
}
