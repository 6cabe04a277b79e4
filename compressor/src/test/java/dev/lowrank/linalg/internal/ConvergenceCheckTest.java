package dev.lowrank.linalg.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.linalg.RandomizedSettings;
import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ConvergenceCheckTest {

  private static final double RATIO = 1.005;

  /** The missing energy a ratio of 1.005 allows for a result whose error squared is {@code e}. */
  private static double budget(double e) {
    return (1 - 1 / (RATIO * RATIO)) * e;
  }

  private static double[] squares(float[] s, int rank) {
    double[] out = new double[rank];
    for (int j = 0; j < rank; j++) {
      out[j] = (double) s[j] * s[j];
    }
    return out;
  }

  @Test
  void aConvergedResultMeetsTheBound() {
    float[] s = {5, 4, 3, 2, 1, 0.5f, 0.25f, 0.1f, 0.05f, 0.02f};
    ConvergenceCheck.Verdict verdict = ConvergenceCheck.judge(s, squares(s, 8), 8, 100, RATIO);
    assertTrue(verdict.met());
    assertEquals(0.0, verdict.missing());
    assertEquals(budget(100 - 55.3225), verdict.budget(), 1e-6);
  }

  @Test
  void aFlatSpectrumStillMovingMissesTheBoundAndPredictsTheIterations() {
    // One group of 8 values of 1 that gained D = 1 in the last step, and s_l / s_7 = sqrt(0.5):
    // rate 0.5 per product, so 1.4 D rho^(2n+1) / (1 - rho) = 1.4 * 0.25^n is still missing after
    // n further iterations. An error of 10.07 allows 0.1: two iterations.
    float[] s = new float[16];
    Arrays.fill(s, 0, 8, 1f);
    Arrays.fill(s, 8, 16, (float) Math.sqrt(0.5));
    double[] previous = squares(s, 8);
    for (int j = 0; j < 8; j++) {
      previous[j] -= 1.0 / 8;
    }
    double error = 0.1 / (1 - 1 / (RATIO * RATIO));
    ConvergenceCheck.Verdict verdict = ConvergenceCheck.judge(s, previous, 8, 8 + error, RATIO);
    assertEquals(false, verdict.met());
    assertEquals(1.4, verdict.missing(), 1e-6);
    assertEquals(0.1, verdict.budget(), 1e-9);
    assertEquals(2, verdict.iterationsNeeded());
  }

  @Test
  void aRateNearOneIsCappedAndCanNeverBeMetInTime() {
    // Equal values: the rate estimate is 1, capped at 0.95; a tiny budget is out of reach.
    float[] s = new float[40];
    Arrays.fill(s, 1f);
    double[] previous = squares(s, 8);
    for (int j = 0; j < 8; j++) {
      previous[j] -= 0.1;
    }
    ConvergenceCheck.Verdict verdict = ConvergenceCheck.judge(s, previous, 8, 8 + 1e-3, RATIO);
    assertEquals(1.4 * 0.8 * 0.95 / 0.05, verdict.missing(), 1e-9);
    assertEquals(Integer.MAX_VALUE, verdict.iterationsNeeded());
  }

  @Test
  void theObservedShrinkPredictsTheRemainingIterations() {
    // Missing 4 -> 2 in one iteration: 2 -> 1 -> 0.5 -> 0.25 meets a budget of 0.3 in 3 more.
    ConvergenceCheck.Verdict now = new ConvergenceCheck.Verdict(2, 0.3, 1);
    assertEquals(3, ConvergenceCheck.iterationsAtObservedRate(4, now));
    assertEquals(Integer.MAX_VALUE, ConvergenceCheck.iterationsAtObservedRate(2, now));
    assertEquals(Integer.MAX_VALUE, ConvergenceCheck.iterationsAtObservedRate(1.5, now));
    assertEquals(1, ConvergenceCheck.iterationsAtObservedRate(100, now));
  }

  @Test
  void incrementsWithinFloatRoundOffCountAsConverged() {
    float[] s = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0.9f, 0.8f};
    double[] previous = squares(s, 8);
    for (int j = 0; j < 8; j++) {
      // 1e-6 of s_0 s_j: below the noise threshold of 1e-5.
      previous[j] -= 1e-6 * s[0] * s[j];
    }
    // The error of the rank-8 truncation is tiny: any counted increment would miss the bound.
    ConvergenceCheck.Verdict verdict =
        ConvergenceCheck.judge(s, previous, 8, sum(s, 8) + 1e-6, RATIO);
    assertTrue(verdict.met(), () -> "missing " + verdict.missing());
  }

  private static double sum(float[] s, int rank) {
    double total = 0;
    for (int j = 0; j < rank; j++) {
      total += (double) s[j] * s[j];
    }
    return total;
  }

  @Test
  void previousEnergiesAreTheSquaredRowNormsOfVtTimesR() {
    int l = 12;
    int rank = 5;
    SplittableRandom random = new SplittableRandom(3);
    float[] vt = new float[l * l];
    float[] r = new float[l * l];
    for (int i = 0; i < vt.length; i++) {
      vt[i] = (float) random.nextGaussian();
    }
    for (int col = 0; col < l; col++) {
      for (int row = 0; row <= col; row++) {
        r[col * l + row] = (float) random.nextGaussian();
      }
    }
    double[] energies = ConvergenceCheck.previousEnergies(vt, rank, r, Optional.empty());
    assertEquals(rank, energies.length);
    for (int j = 0; j < rank; j++) {
      double expected = 0;
      for (int col = 0; col < l; col++) {
        double x = 0;
        for (int i = 0; i < l; i++) {
          x += (double) vt[i * l + j] * r[col * l + i];
        }
        expected += x * x;
      }
      assertEquals(expected, energies[j], 1e-5 * expected, "row " + j);
    }
    // With the Cholesky factor T = 2 I of a previous basis X = 2 Q, the energies are a quarter.
    float[] t = new float[l * l];
    for (int i = 0; i < l; i++) {
      t[i * l + i] = 2f;
    }
    double[] scaled = ConvergenceCheck.previousEnergies(vt, rank, r, Optional.of(t));
    for (int j = 0; j < rank; j++) {
      assertEquals(energies[j] / 4, scaled[j], 1e-5 * energies[j], "row " + j);
    }
  }

  @Test
  void settingsRejectARatioOfOneOrLessAndTheDefaultsHaveNoControl() {
    RandomizedSettings defaults = RandomizedSettings.DEFAULTS;
    assertEquals(false, defaults.controlsError());
    assertTrue(defaults.withMaxErrorRatio(1.005).controlsError());
    assertThrows(IllegalArgumentException.class, () -> defaults.withMaxErrorRatio(1.0));
    assertThrows(IllegalArgumentException.class, () -> defaults.withMaxErrorRatio(Double.NaN));
  }
}
