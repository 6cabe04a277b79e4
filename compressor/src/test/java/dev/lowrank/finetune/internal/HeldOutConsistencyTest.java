package dev.lowrank.finetune.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.datasets.Digits;
import dev.lowrank.finetune.FinetuneLoss;
import dev.lowrank.finetune.FinetuneReport;
import dev.lowrank.finetune.FinetuneSpec;
import dev.lowrank.format.torchscript.TorchScriptFixturesAccess;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What fine-tuning reports about the held-out samples is what the written model does on them: the
 * student is scored as it will be written (dropout off, nothing but the factors changed, the kept
 * epoch's factors written). The transformer fixture has dropout, which would make a model scored in
 * training mode disagree with itself.
 */
class HeldOutConsistencyTest {

  @TempDir Path tmp;

  @Test
  void theWrittenModelScoresWhatTheReportSays() throws Exception {
    Path model = TorchScriptFixturesAccess.copy("transformer_scripted.pt", tmp);
    Path tuned = tmp.resolve("t8.pt");
    Dataset data = Digits.train().first(300).withName("digits-300");
    FinetuneSpec spec =
        FinetuneSpec.builder()
            .setData(data)
            .optInputShape(SampleShape.of(8, 8))
            .optEpochs(3)
            .optLearningRate(3e-3f)
            .build();
    FinetuneReport f =
        Compressor.compress(
                model,
                tuned,
                CompressionSpec.builder().setPolicy(RankPolicy.rank(8)).optFinetune(spec).build())
            .finetune()
            .orElseThrow();
    assertTrue(f.bestEpoch() > 0, f.toString());

    int[] rows = FinetuneRun.heldOutRows(data.size(), spec.heldOut(), spec.seed());
    assertEquals(f.heldOutSamples(), rows.length);
    Dataset held = data.select(rows);
    float[] teacher = logits(model, held);
    float[] student = logits(tuned, held);
    int classes = teacher.length / rows.length;
    int agree = 0;
    for (int i = 0; i < rows.length; i++) {
      agree += argmax(teacher, i, classes) == argmax(student, i, classes) ? 1 : 0;
    }
    assertEquals(f.fidelityAfter(), (double) agree / rows.length, 1e-12, f.toString());
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray s = m.create(student, new Shape(rows.length, classes));
      NDArray t = m.create(teacher, new Shape(rows.length, classes));
      float loss = Losses.of(FinetuneLoss.KL, spec.temperature(), s, t).getFloat();
      assertEquals(f.heldOutLossAfter(), loss, 1e-4 * Math.max(1, loss), f.toString());
    }
  }

  private static float[] logits(Path model, Dataset data) throws Exception {
    Criteria<NDList, NDList> criteria =
        Criteria.builder()
            .setTypes(NDList.class, NDList.class)
            .optModelPath(model)
            .optEngine("PyTorch")
            .optTranslator(new NoopTranslator())
            .build();
    try (ZooModel<NDList, NDList> m = criteria.loadModel();
        NDManager manager = m.getNDManager().newSubManager()) {
      NDArray x = manager.create(data.flatFeatures(), new Shape(data.size(), 8, 8));
      return m.getBlock()
          .forward(new ai.djl.training.ParameterStore(manager, false), new NDList(x), false)
          .head()
          .toFloatArray();
    }
  }

  private static int argmax(float[] v, int row, int width) {
    int best = 0;
    for (int j = 1; j < width; j++) {
      if (v[row * width + j] > v[row * width + best]) {
        best = j;
      }
    }
    return best;
  }
}
