package dev.lowrank.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.data.Dataset;
import dev.lowrank.data.Tensor;
import dev.lowrank.data.TextData;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.testing.MiniLmModels;
import dev.lowrank.format.ModelFileException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * The MiniLM TorchScript copy run on tokenized text: int64 inputs in the model's forward order,
 * per-token or pooled outputs, no native array left behind, and wrong inputs reported in one line.
 */
class TextInferenceTest {

  @Test
  void runsInt64InputsPooledOrNotAndFreesEveryBatch() throws Exception {
    Dataset texts =
        TextData.tokenize(
            "texts",
            List.of("The cat sat on the mat.", "Compress me, please, but keep my meaning."),
            Optional.empty(),
            MiniLmModels.files().tokenizer(),
            OptionalInt.empty());
    try (InferenceModel m = InferenceModel.load(MiniLmModels.torchScript());
        InferenceSession s = m.newSession()) {
      Dataset fed = texts.forModelInputs(m.inputNames());
      List<Tensor> batch = fed.batch(0, 2);
      long tokens = batch.get(0).dim(1);
      Outputs states = s.run(batch, Optional.empty());
      assertEquals(tokens * 384, states.width());
      Outputs pooled = s.run(batch, Optional.of(Pooling.MEAN));
      assertEquals(384, pooled.width());
      double norm = 0;
      for (int k = 0; k < 384; k++) {
        norm += pooled.get(1, k) * pooled.get(1, k);
      }
      assertEquals(1.0, norm, 1e-5);
      int before = m.manager().getManagedArrays().size();
      for (int i = 0; i < 20; i++) {
        s.run(batch, Optional.of(Pooling.MEAN));
      }
      assertEquals(before, m.manager().getManagedArrays().size(), "arrays left open");

      List<Tensor> twoInputs = List.of(batch.get(0), batch.get(1));
      ModelFileException e =
          assertThrows(ModelFileException.class, () -> s.run(twoInputs, Optional.empty()));
      assertTrue(
          e.getMessage().contains("fails on a batch of 2 samples (input_ids"), e.getMessage());
      assertTrue(!e.getMessage().contains("\n"), e.getMessage());
      ModelFileException flat =
          assertThrows(
              ModelFileException.class,
              () -> s.run(List.of(batch.get(0).withName("x")), Optional.of(Pooling.MEAN)));
      assertTrue(flat.getMessage().startsWith(m.path() + ": "), flat.getMessage());
    }
  }
}
