package dev.lowrank.eval.accuracy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.data.DataFileException;
import dev.lowrank.data.Dataset;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class AccuracyTest {

  /** Three samples, six classes; scores chosen so top-1 and top-5 hits are known. */
  private static final float[] SCORES = {
    // sample 0: argmax 2; label 2 -> top-1 hit
    0, 1, 5, 2, 3, 4,
    // sample 1: argmax 0; label 5 has the lowest score -> top-1 and top-5 miss
    9, 8, 7, 6, 5, 0,
    // sample 2: argmax 1; label 4 ties with two others below the top -> top-5 hit
    1, 9, 1, 8, 1, 7
  };

  private static Dataset labeled(int... labels) {
    return Dataset.builder()
        .setName("toy")
        .optSource(Path.of("toy.csv"))
        .setFeatures(new float[labels.length], 1)
        .optLabels(labels)
        .build();
  }

  @Test
  void countsTop1AndTop5Hits() throws Exception {
    Predictions p = Predictions.of(3, 6, SCORES);
    Accuracy a = Accuracy.of(p, labeled(2, 5, 4));
    assertEquals(1, a.top1Correct());
    assertEquals(2, a.top5Correct().getAsInt());
    assertEquals(1.0 / 3, a.top1(), 1e-12);
    assertEquals(2.0 / 3, a.top5().getAsDouble(), 1e-12);
  }

  @Test
  void noTop5BelowFiveClasses() throws Exception {
    Predictions p = Predictions.of(2, 3, new float[] {1, 0, 0, 0, 0, 1});
    Accuracy a = Accuracy.of(p, labeled(0, 1));
    assertEquals(0.5, a.top1(), 0);
    assertFalse(a.top5().isPresent());
  }

  @Test
  void labelsOutsideTheOutputsNameTheFile() {
    Predictions p = Predictions.of(3, 6, SCORES);
    DataFileException e =
        assertThrows(DataFileException.class, () -> Accuracy.of(p, labeled(2, 6, 4)));
    assertEquals(
        "toy.csv: label 6 (sample 1) is outside the model's range: it has 6 outputs, classes 0 to"
            + " 5",
        e.getMessage());
  }

  @Test
  void dropIsOriginalMinusCompressedAsAFraction() throws Exception {
    Dataset data = labeled(2, 5, 4);
    Accuracy original = new Accuracy(3, 3, OptionalInt.of(3));
    Accuracy compressed = Accuracy.of(Predictions.of(3, 6, SCORES), data);
    AccuracyComparison c = new AccuracyComparison(original, compressed);
    assertEquals(2.0 / 3, c.drop(), 1e-12);
    assertEquals(1.0 / 3, c.top5Drop().getAsDouble(), 1e-12);
  }

  @Test
  void fidelityMeasuresAgreementAndRelativeError() {
    Predictions a = Predictions.of(2, 2, new float[] {3, 0, 0, 4});
    Predictions same = Predictions.of(2, 2, new float[] {3, 0, 0, 4});
    Fidelity f = Fidelity.of(a, same);
    assertEquals(1.0, f.top1Agreement(), 0);
    assertEquals(0.0, f.relativeL2Error(), 0);
    // Flip sample 1's prediction: one agreement of two; error ||(0,0,4,-4)|| / ||(3,0,0,4)|| = 4
    // sqrt(2) / 5.
    Predictions b = Predictions.of(2, 2, new float[] {3, 0, 4, 0});
    f = Fidelity.of(a, b);
    assertEquals(0.5, f.top1Agreement(), 0);
    assertEquals(4 * Math.sqrt(2) / 5, f.relativeL2Error(), 1e-9);
    assertThrows(
        IllegalArgumentException.class,
        () -> Fidelity.of(a, Predictions.of(1, 2, new float[] {1, 2})));
  }

  @Test
  void argmaxTakesTheFirstOfTiedScores() {
    Predictions p = Predictions.of(1, 3, new float[] {1, 5, 5});
    assertEquals(1, p.argmax(0));
    assertTrue(p.inTopK(0, 2, 1), "a score equal to the best counts as top-1 for top-k");
  }
}
