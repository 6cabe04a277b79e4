package dev.lowrank.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.DataFileException;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning a text model on tokenized text: named int64 inputs fed in the order of the model's
 * forward arguments whatever order the data lists them in, an optional input the model does not
 * take left out, per-token outputs pooled over the attention mask. The fixture ({@code
 * make_text_encoder.py}) takes {@code forward(input_ids, attention_mask)} and refuses a mask that
 * is not 0 and 1, so inputs fed by position in the data's order fail instead of training on
 * garbage.
 */
class TextInputsFinetuneTest {

  private static final int SAMPLES = 160;
  private static final int TOKENS = 12;
  private static final int VOCABULARY = 40;

  @TempDir Path tmp;

  private Path encoder() throws Exception {
    Path model = tmp.resolve("text_encoder.pt");
    try (InputStream in = TextInputsFinetuneTest.class.getResourceAsStream("text_encoder.pt")) {
      Files.copy(in, model);
    }
    return model;
  }

  /**
   * Seeded token sequences of 3 to 12 tokens, padded with 0, listed as the data's inputs in the
   * given order ({@code token_type_ids} optional, as text data makes it).
   */
  private static Dataset texts(List<String> order) {
    Random random = new Random(3);
    long[] ids = new long[SAMPLES * TOKENS];
    long[] mask = new long[SAMPLES * TOKENS];
    int[] lengths = new int[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) {
      lengths[i] = 3 + random.nextInt(TOKENS - 2);
      for (int t = 0; t < lengths[i]; t++) {
        ids[i * TOKENS + t] = 2 + random.nextInt(VOCABULARY - 2);
        mask[i * TOKENS + t] = 1;
      }
    }
    Dataset.Builder b = Dataset.builder().setName("tokens");
    SampleShape shape = SampleShape.of(TOKENS);
    for (String name : order) {
      switch (name) {
        case "input_ids" -> b.addInput(name, shape, ids);
        case "attention_mask" -> b.addInput(name, shape, mask);
        default -> b.addInput(name, shape, new long[SAMPLES * TOKENS], true);
      }
    }
    return b.optSequenceLengths(lengths).build();
  }

  private CompressionResult finetune(Path model, Dataset data) throws Exception {
    return Compressor.compress(
        model,
        tmp.resolve("tuned.pt"),
        CompressionSpec.builder()
            .setPolicy(RankPolicy.rank(4))
            .optFinetune(
                FinetuneSpec.builder()
                    .setData(data)
                    .optEpochs(4)
                    .optPatience(4)
                    .optLearningRate(2e-3f)
                    .build())
            .build());
  }

  @Test
  void namedInputsAreFedInTheModelsOrder() throws Exception {
    Path model = encoder();
    Dataset data = texts(List.of("attention_mask", "token_type_ids", "input_ids"));
    FinetuneReport f = finetune(model, data).finetune().orElseThrow();
    assertEquals(FinetuneLoss.COSINE, f.loss(), "per-token states distill by cosine");
    assertEquals(List.of("up", "mix", "out"), f.layers());
    assertTrue(f.fidelityBefore() < 0.999, f.toString());
    assertTrue(f.fidelityAfter() > f.fidelityBefore(), f.toString());
    assertTrue(
        f.epochs().get(f.epochs().size() - 1).trainLoss() < f.epochs().get(0).trainLoss(),
        f.toString());

    // The same texts listed in the model's order score the same: the order is the model's.
    FinetuneReport same =
        finetune(model, texts(List.of("input_ids", "attention_mask"))).finetune().orElseThrow();
    assertEquals(f.fidelityBefore(), same.fidelityBefore(), 1e-6);
    assertEquals(f.heldOutLossBefore(), same.heldOutLossBefore(), 1e-6);
  }

  @Test
  void anInputTheModelTakesButTheDataLacksIsBadData() throws Exception {
    Path model = encoder();
    Path out = tmp.resolve("tuned.pt");
    DataFileException e =
        assertThrows(DataFileException.class, () -> finetune(model, texts(List.of("input_ids"))));
    assertTrue(e.getMessage().contains("'attention_mask'"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertFalse(Files.exists(out), "nothing is written");
  }
}
