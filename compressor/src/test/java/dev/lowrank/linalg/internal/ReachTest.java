package dev.lowrank.linalg.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReachTest {

  /** Squared power-law spectrum {@code 100 i^-1.4}, i from 1. */
  private static double s2(int i) {
    return 100 * Math.pow(i, -1.4);
  }

  private static double sum(int from, int to) {
    double total = 0;
    for (int i = from; i <= to; i++) {
      total += s2(i);
    }
    return total;
  }

  @Test
  void noPredictionBeforeTheThirdBlock() {
    RandomizedSvd.Reach reach = new RandomizedSvd.Reach(384);
    assertEquals(Double.POSITIVE_INFINITY, reach.add(32, 32, sum(1, 32)));
    assertEquals(Double.POSITIVE_INFINITY, reach.add(64, 32, sum(33, 64)));
  }

  @Test
  void aPowerLawSpectrumIsExtrapolatedToWithinAFewPercent() {
    RandomizedSvd.Reach reach = new RandomizedSvd.Reach(384);
    reach.add(32, 32, sum(1, 32));
    reach.add(64, 32, sum(33, 64));
    double predicted = reach.add(96, 32, sum(65, 96));
    double actual = sum(97, 384);
    assertTrue(
        Math.abs(predicted / actual - 1) < 0.1,
        () -> "predicted " + predicted + ", actual " + actual);
  }

  @Test
  void aFlatSpectrumIsBoundedByItsLastLevel() {
    RandomizedSvd.Reach reach = new RandomizedSvd.Reach(100);
    reach.add(10, 10, 10);
    reach.add(20, 10, 10);
    // Columns 30 to 99 at the last level, 1 each.
    assertEquals(70.0, reach.add(30, 10, 10), 1e-9);
  }
}
