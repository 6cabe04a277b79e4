package dev.lowrank.eval.gate;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.RankPolicy;
import dev.lowrank.eval.testing.DigitsFixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The assertion API users call from their own JUnit tests. */
class AccuracyGateTest {

  @Test
  void passesWithinTheDropAndFailsPastItWithTheNumbers() throws Exception {
    Path original = DigitsFixtures.mlp();
    Path gentle = DigitsFixtures.compressed(RankPolicy.energy(0.999));
    Path harsh = DigitsFixtures.compressed(RankPolicy.rank(2));
    AccuracyGate.assertWithinDrop(original, gentle, DigitsFixtures.digitsTest(), 0.02);
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () ->
                AccuracyGate.assertWithinDrop(original, harsh, DigitsFixtures.digitsTest(), 0.02));
    assertTrue(e.getMessage().contains("accuracy-drop: top-1 accuracy drop"), e.getMessage());
    assertTrue(e.getMessage().contains("is past the limit 2.00 pp by"), e.getMessage());
    assertTrue(e.getMessage().contains(harsh.toString()), e.getMessage());
  }
}
