package dev.lowrank.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.util.Pair;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.Dataset;
import dev.lowrank.datasets.Digits;
import dev.lowrank.format.torchscript.TorchScriptFixturesAccess;
import dev.lowrank.testing.DjlFixtures;
import dev.lowrank.testing.Logits;
import dev.lowrank.testing.TestBlocks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning through the compressor's API on real models trained on the digits: the loss goes
 * down, the held-out fidelity and the test accuracy go up, frozen parameters stay bit-identical,
 * and native memory is flat over epochs.
 */
class FinetunerTest {

  @TempDir Path tmp;

  private static final Dataset TRAIN = Digits.train().first(600).withName("digits-600");

  private static FinetuneSpec.Builder finetune(int epochs) {
    return FinetuneSpec.builder().setData(TRAIN).optEpochs(epochs).optPatience(epochs);
  }

  @Test
  void djlDistillationLowersTheLossAndRecoversAccuracy() throws Exception {
    Path model = DjlFixtures.trained(TestBlocks.Variant.NESTED);
    Path truncated = tmp.resolve("r8");
    Path tuned = tmp.resolve("r8-ft");
    Compressor.compress(
        model, truncated, CompressionSpec.builder().setPolicy(RankPolicy.rank(8)).build());
    CompressionResult result =
        Compressor.compress(
            model,
            tuned,
            CompressionSpec.builder()
                .setPolicy(RankPolicy.rank(8))
                .optFinetune(finetune(4).build())
                .build());

    FinetuneReport f = result.finetune().orElseThrow();
    assertEquals(FinetuneLoss.KL, f.loss(), "a [batch, classes] output distills by KL");
    assertEquals(FinetuneReport.Fidelity.AGREEMENT, f.fidelity());
    assertEquals(4, f.epochs().size());
    assertEquals(60, f.heldOutSamples());
    assertEquals(540, f.trainSamples());
    assertTrue(
        f.epochs().get(3).trainLoss() < f.epochs().get(0).trainLoss(), "train loss goes down");
    assertTrue(f.heldOutLossAfter() < 0.8 * f.heldOutLossBefore(), f.toString());
    assertTrue(f.fidelityAfter() > f.fidelityBefore(), f.toString());
    assertEquals(
        result.factorizedLayers().stream().map(LayerResult::name).toList(),
        f.layers(),
        "every factorized layer is trained");
    assertEquals(64, f.dataSha256().length());

    Dataset test = Digits.test();
    double original = accuracy(Logits.of(model, test), test);
    double before = accuracy(Logits.of(truncated, test), test);
    double after = accuracy(Logits.of(tuned, test), test);
    assertTrue(
        after > before + 0.02,
        "test accuracy " + before + " -> " + after + " (original " + original + ")");

    CompressionResult manifest = Compressor.manifest(tuned).orElseThrow();
    assertEquals(result, manifest, "the manifest records the fine-tuning");
  }

  @Test
  void frozenParametersStayBitIdenticalAndOnlyFactorsChange() throws Exception {
    Path model = DjlFixtures.trained(TestBlocks.Variant.NESTED);
    Path truncated = tmp.resolve("r4");
    Path tuned = tmp.resolve("r4-ft");
    Compressor.compress(
        model, truncated, CompressionSpec.builder().setPolicy(RankPolicy.rank(4)).build());
    Compressor.compress(
        model,
        tuned,
        CompressionSpec.builder()
            .setPolicy(RankPolicy.rank(4))
            .optFinetune(finetune(2).build())
            .build());
    assertFrozenIdentical(parameters(truncated), parameters(tuned));
  }

  @Test
  void torchScriptDistillationRecoversAccuracyAndFreezesTheRest() throws Exception {
    Path model = TorchScriptFixturesAccess.copy("mlp_scripted.pt", tmp);
    Path truncated = tmp.resolve("mlp8.pt");
    Path tuned = tmp.resolve("mlp8-ft.pt");
    Compressor.compress(
        model, truncated, CompressionSpec.builder().setPolicy(RankPolicy.rank(8)).build());
    CompressionResult result =
        Compressor.compress(
            model,
            tuned,
            CompressionSpec.builder()
                .setPolicy(RankPolicy.rank(8))
                .optFinetune(finetune(4).build())
                .build());
    FinetuneReport f = result.finetune().orElseThrow();
    assertEquals(List.of("fc1", "fc2", "fc3"), f.layers());
    assertTrue(f.heldOutLossAfter() < f.heldOutLossBefore(), f.toString());
    assertTrue(f.fidelityAfter() >= f.fidelityBefore(), f.toString());
    Dataset test = Digits.test();
    double before = accuracy(Logits.of(truncated, test), test);
    double after = accuracy(Logits.of(tuned, test), test);
    assertTrue(after > before + 0.02, "test accuracy " + before + " -> " + after);
    assertFrozenIdentical(parameters(truncated), parameters(tuned));
    // The error recorded is that of the written (trained) factors, not of the truncation.
    assertTrue(
        result.layer("fc1").orElseThrow().relativeError()
            > Compressor.manifest(truncated)
                .orElseThrow()
                .layer("fc1")
                .orElseThrow()
                .relativeError());
  }

  @Test
  void trainsOnLabelsByCrossEntropy() throws Exception {
    Path model = DjlFixtures.trained(TestBlocks.Variant.NESTED);
    CompressionResult result =
        Compressor.compress(
            model,
            tmp.resolve("ce"),
            CompressionSpec.builder()
                .setPolicy(RankPolicy.rank(4))
                .optFinetune(finetune(3).optLabels().build())
                .build());
    FinetuneReport f = result.finetune().orElseThrow();
    assertEquals(FinetuneLoss.CROSS_ENTROPY, f.loss());
    assertEquals(FinetuneReport.Fidelity.ACCURACY, f.fidelity());
    assertTrue(f.fidelityAfter() > f.fidelityBefore(), f.toString());
    assertTrue(f.heldOutLossAfter() < f.heldOutLossBefore(), f.toString());
  }

  @Test
  void nativeMemoryIsFlatOverEpochs() throws Exception {
    Path model = DjlFixtures.trained(TestBlocks.Variant.NESTED);
    List<Integer> arrays = new ArrayList<>();
    FinetuneProgress count =
        new FinetuneProgress() {
          @Override
          public void epochStarted(int epoch, int epochs, int steps) {}

          @Override
          public void stepDone(double loss) {}

          @Override
          public void epochEnded(FinetuneEpoch epoch) {
            // Every manager of the engine (models, their steps) is below its system manager.
            try (NDManager probe = NDManager.newBaseManager("PyTorch")) {
              arrays.add(probe.getParentManager().getManagedArrays().size());
            }
          }
        };
    Compressor.compress(
        model,
        tmp.resolve("out"),
        CompressionSpec.builder()
            .setPolicy(RankPolicy.rank(4))
            .optFinetune(finetune(5).optProgress(count).build())
            .build());
    assertEquals(5, arrays.size());
    // Epoch 1 creates Adam's moments; from then on every step's arrays are closed with the step.
    for (int i = 1; i < arrays.size(); i++) {
      assertEquals(arrays.get(0), arrays.get(i), "arrays held after each epoch: " + arrays);
    }
  }

  @Test
  void perTokenOutputsDistillByCosineOnPooledTokens() throws Exception {
    // A [batch, 8 tokens, 16] encoder (make_token_encoder.py): the default loss is 1 - cosine of
    // the mean-pooled tokens, and the fidelity is that cosine.
    Path model = tmp.resolve("token_encoder.pt");
    try (var in = FinetunerTest.class.getResourceAsStream("token_encoder.pt")) {
      java.nio.file.Files.copy(in, model);
    }
    CompressionResult result =
        Compressor.compress(
            model,
            tmp.resolve("t.pt"),
            CompressionSpec.builder()
                .setPolicy(RankPolicy.rank(2))
                .optFinetune(
                    finetune(3).optInputShape(dev.lowrank.data.SampleShape.of(8, 8)).build())
                .build());
    FinetuneReport f = result.finetune().orElseThrow();
    assertEquals(FinetuneLoss.COSINE, f.loss());
    assertEquals(FinetuneReport.Fidelity.COSINE, f.fidelity());
    assertEquals(List.of("embed", "mix", "out"), f.layers());
    assertTrue(f.fidelityBefore() > 0 && f.fidelityBefore() < 0.999, f.toString());
    assertTrue(f.fidelityAfter() > f.fidelityBefore(), f.toString());
    assertEquals(1 - f.fidelityAfter(), f.heldOutLossAfter(), 1e-4, "the loss is 1 - cosine");
  }

  private static void assertFrozenIdentical(
      Map<String, float[]> truncated, Map<String, float[]> tuned) {
    assertEquals(truncated.keySet(), tuned.keySet());
    int factors = 0;
    int changed = 0;
    for (Map.Entry<String, float[]> e : truncated.entrySet()) {
      if (e.getKey().endsWith("lowrank_a") || e.getKey().endsWith("lowrank_b")) {
        factors++;
        if (!java.util.Arrays.equals(e.getValue(), tuned.get(e.getKey()))) {
          changed++;
        }
      } else {
        assertArrayEquals(e.getValue(), tuned.get(e.getKey()), e.getKey() + " must stay frozen");
      }
    }
    assertTrue(factors > 0);
    assertEquals(factors, changed, "every factor is trained");
  }

  /** Every parameter of a model as DJL loads it, by name. */
  private static Map<String, float[]> parameters(Path model) throws Exception {
    Criteria<NDList, NDList> criteria =
        Criteria.builder()
            .setTypes(NDList.class, NDList.class)
            .optModelPath(model)
            .optEngine("PyTorch")
            .optTranslator(new NoopTranslator())
            .build();
    Map<String, float[]> out = new LinkedHashMap<>();
    try (ZooModel<NDList, NDList> m = criteria.loadModel()) {
      for (Pair<String, Parameter> p : m.getBlock().getParameters()) {
        out.put(p.getKey(), p.getValue().getArray().toFloatArray());
      }
    }
    assertFalse(out.isEmpty());
    return out;
  }

  private static double accuracy(float[] logits, Dataset data) {
    int classes = logits.length / data.size();
    int right = 0;
    for (int i = 0; i < data.size(); i++) {
      int best = 0;
      for (int c = 1; c < classes; c++) {
        if (logits[i * classes + c] > logits[i * classes + best]) {
          best = c;
        }
      }
      right += best == data.label(i) ? 1 : 0;
    }
    return (double) right / data.size();
  }

  @Test
  void refusesAnInMemoryModel() throws Exception {
    Criteria<NDList, NDList> criteria =
        Criteria.builder()
            .setTypes(NDList.class, NDList.class)
            .optModelPath(DjlFixtures.trained(TestBlocks.Variant.NESTED))
            .optEngine("PyTorch")
            .optTranslator(new NoopTranslator())
            .build();
    try (ZooModel<NDList, NDList> m = criteria.loadModel()) {
      CompressionSpec spec =
          CompressionSpec.builder()
              .setPolicy(RankPolicy.rank(4))
              .optFinetune(finetune(1).build())
              .build();
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Compressor.compress(m, spec));
      assertTrue(e.getMessage().contains("needs the model's directory"), e.getMessage());
      assertTrue(
          m.getBlock().getParameters().stream().noneMatch(p -> p.getKey().contains("lowrank")),
          "the model is left as it was");
    }
  }
}
