package dev.lowrank.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.eval.testing.DigitsFixtures;
import dev.lowrank.format.ModelFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InferenceModelTest {

  @TempDir Path tmp;

  @Test
  void loadsADjlModelAndKnowsItsInputShape() throws Exception {
    try (InferenceModel m = InferenceModel.load(DigitsFixtures.mlp())) {
      assertEquals("djl", m.format());
      assertEquals(Optional.of(SampleShape.flat(64)), m.storedInputShape());
      assertEquals(64L * 64 + 64 + 32 * 64 + 32 + 10 * 32 + 10, m.djlParameterCount());
    }
    try (InferenceModel m = InferenceModel.load(DigitsFixtures.imageShapedMlp())) {
      assertEquals(Optional.of(SampleShape.of(1, 8, 8)), m.storedInputShape());
    }
  }

  @Test
  void runsBatchesAndPredictsDigits() throws Exception {
    Dataset data = DigitsFixtures.digitsTest();
    try (InferenceModel m = InferenceModel.load(DigitsFixtures.mlp());
        InferenceSession s = m.newSession()) {
      float[] x = new float[8 * 64];
      data.copyRows(0, 8, x);
      Outputs out = s.run(x, 8, SampleShape.flat(64));
      assertEquals(8, out.batch());
      assertEquals(10, out.width());
      int right = 0;
      for (int i = 0; i < 8; i++) {
        int best = 0;
        for (int k = 1; k < 10; k++) {
          best = out.get(i, k) > out.get(i, best) ? k : best;
        }
        right += best == data.label(i) ? 1 : 0;
      }
      assertTrue(right >= 7, "a trained MLP gets most of 8 digits right, got " + right);
    }
  }

  @Test
  void aWrongInputShapeIsAOneLineModelError() throws Exception {
    try (InferenceModel m = InferenceModel.load(DigitsFixtures.mlp());
        InferenceSession s = m.newSession()) {
      ModelFileException e =
          assertThrows(
              ModelFileException.class, () -> s.run(new float[2 * 63], 2, SampleShape.flat(63)));
      assertTrue(
          e.getMessage().contains("fails on a batch of 2 samples of shape 63"), e.getMessage());
      assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void aLongLoopLeavesNoNativeArrayBehind() throws Exception {
    Dataset data = DigitsFixtures.digitsTest();
    try (InferenceModel m = InferenceModel.load(DigitsFixtures.mlp());
        InferenceSession s = m.newSession()) {
      float[] x = new float[16 * 64];
      data.copyRows(0, 16, x);
      s.run(x, 16, SampleShape.flat(64));
      int before = m.manager().getManagedArrays().size();
      for (int i = 0; i < 2000; i++) {
        s.run(x, 16, SampleShape.flat(64));
      }
      assertEquals(
          before, m.manager().getManagedArrays().size(), "NDArrays left open after 2000 batches");
      // The counter does see arrays that are left open.
      m.manager().newSubManager().create(new float[] {1});
      assertEquals(before + 1, m.manager().getManagedArrays().size());
    }
  }

  @Test
  void badPathsAreOneLineModelErrors() throws Exception {
    Path missing = tmp.resolve("nope.pt");
    ModelFileException e =
        assertThrows(ModelFileException.class, () -> InferenceModel.load(missing));
    assertEquals(missing + ": no such file or directory", e.getMessage());

    Path text = tmp.resolve("model.pt");
    Files.writeString(text, "not a model");
    e = assertThrows(ModelFileException.class, () -> InferenceModel.load(text));
    assertTrue(e.getMessage().startsWith(text + ": not a model lowrank can read"), e.getMessage());

    Path dir = Files.createDirectories(tmp.resolve("dir"));
    e = assertThrows(ModelFileException.class, () -> InferenceModel.load(dir));
    assertTrue(e.getMessage().contains("needs a serving.properties"), e.getMessage());

    Path zip = tmp.resolve("broken.pt");
    Files.write(zip, new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0});
    e = assertThrows(ModelFileException.class, () -> InferenceModel.load(zip));
    assertTrue(e.getMessage().startsWith(zip + ": DJL cannot load the model"), e.getMessage());
  }
}
