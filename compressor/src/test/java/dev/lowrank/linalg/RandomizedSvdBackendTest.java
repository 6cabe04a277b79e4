package dev.lowrank.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class RandomizedSvdBackendTest extends SvdBackendContract {

  @Override
  SvdBackend backend() {
    return SvdBackends.randomized(42);
  }

  @Override
  double optimumFactor() {
    return 1.005;
  }

  @Test
  void fixedRankResultsHoldTheRankAndAreNamedRandomized() {
    FloatMatrix w = TestMatrices.trainedLike(200, 300, 1);
    TruncatedSvd svd = backend().decompose(w, RankTarget.leading(20));
    assertEquals(20, svd.size());
    assertEquals("randomized", svd.method());
    assertEquals("randomized", backend().name());
  }

  @Test
  void energyResultsNameTheFixedPrecisionMethodOrTheFallback() {
    FloatMatrix w = TestMatrices.trainedLike(300, 200, 2);
    assertEquals(
        "randomized-fixed-precision", backend().decompose(w, RankTarget.energy(0.8)).method());
    // 99% of a slowly decaying spectrum needs more than half of the 200 triplets.
    assertEquals("exact-fallback", backend().decompose(w, RankTarget.energy(0.99)).method());
    assertEquals("exact-fallback", backend().decompose(w, RankTarget.energy(1.0)).method());
  }

  @Test
  void sameSeedGivesTheSameResultAndAnotherSeedAnother() {
    FloatMatrix w = TestMatrices.trainedLike(150, 120, 3);
    TruncatedSvd first = SvdBackends.randomized(7).decompose(w, RankTarget.leading(10));
    TruncatedSvd again = SvdBackends.randomized(7).decompose(w, RankTarget.leading(10));
    TruncatedSvd other = SvdBackends.randomized(8).decompose(w, RankTarget.leading(10));
    assertArrayEquals(first.u().data(), again.u().data());
    assertArrayEquals(first.vt().data(), again.vt().data());
    assertEquals(false, java.util.Arrays.equals(first.u().data(), other.u().data()));
  }

  @Test
  void concurrentCallsGiveTheSerialResults() throws Exception {
    SvdBackend backend = backend();
    List<FloatMatrix> matrices = new ArrayList<>();
    List<RankTarget> targets = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      matrices.add(TestMatrices.trainedLike(160 + 10 * i, 140, i));
      targets.add(i % 2 == 0 ? RankTarget.leading(12 + i) : RankTarget.energy(0.6));
    }
    List<TruncatedSvd> serial = new ArrayList<>();
    for (int i = 0; i < matrices.size(); i++) {
      serial.add(backend.decompose(matrices.get(i), targets.get(i)));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<TruncatedSvd>> futures = new ArrayList<>();
      for (int i = 0; i < matrices.size(); i++) {
        int index = i;
        futures.add(pool.submit(() -> backend.decompose(matrices.get(index), targets.get(index))));
      }
      for (int i = 0; i < matrices.size(); i++) {
        TruncatedSvd parallel = futures.get(i).get();
        assertArrayEquals(serial.get(i).s(), parallel.s(), 1e-4f * serial.get(i).s()[0]);
        assertEquals(serial.get(i).method(), parallel.method());
      }
    } finally {
      pool.shutdown();
    }
  }
}
