package dev.lowrank.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AutoSvdBackendTest extends SvdBackendContract {

  @Override
  SvdBackend backend() {
    return SvdBackends.auto(42);
  }

  @Override
  double optimumFactor() {
    return 1.005;
  }

  @Test
  void smallMatricesAndHighRanksGoToTheExactSvd() {
    assertEquals("auto", backend().name());
    FloatMatrix small = TestMatrices.trainedLike(64, 300, 1);
    assertEquals("exact", backend().decompose(small, RankTarget.leading(4)).method());
    assertEquals("exact", backend().decompose(small, RankTarget.energy(0.5)).method());
    FloatMatrix large = TestMatrices.trainedLike(200, 256, 2);
    // A sketch of 80 + 32 columns exceeds half of 200.
    assertEquals("exact", backend().decompose(large, RankTarget.leading(80)).method());
  }

  @Test
  void lowRanksOfLargerMatricesGoToTheRandomizedSvd() {
    FloatMatrix w = TestMatrices.trainedLike(200, 256, 2);
    assertEquals("randomized", backend().decompose(w, RankTarget.leading(60)).method());
    assertEquals(
        "randomized-fixed-precision", backend().decompose(w, RankTarget.energy(0.6)).method());
    assertEquals("exact-fallback", backend().decompose(w, RankTarget.energy(0.99)).method());
  }
}
