package dev.lowrank.eval.latency;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LatencyStatsTest {

  @Test
  void nearestRankPercentilesMeanAndThroughput() {
    long[] nanos = new long[100];
    for (int i = 0; i < 100; i++) {
      nanos[i] = (100 - i) * 1_000_000L; // 100 ms down to 1 ms, unsorted
    }
    LatencyStats s = LatencyStats.of(8, nanos);
    assertEquals(100, s.iterations());
    assertEquals(50.0, s.p50Ms(), 1e-9);
    assertEquals(95.0, s.p95Ms(), 1e-9);
    assertEquals(50.5, s.meanMs(), 1e-9);
    assertEquals(1.0, s.minMs(), 1e-9);
    assertEquals(8 / 0.0505, s.throughput(), 1e-6);
    assertEquals(100 * 1_000_000L, nanos[0], "the input is not sorted in place");
  }

  @Test
  void speedupIsTheRatioOfMedians() {
    LatencyStats slow = LatencyStats.of(1, new long[] {4_000_000, 4_000_000, 9_000_000});
    LatencyStats fast = LatencyStats.of(1, new long[] {1_000_000, 2_000_000, 2_000_000});
    assertEquals(2.0, new LatencyComparison(1, slow, fast).speedup(), 1e-12);
  }

  @Test
  void oneSampleIsItsOwnPercentiles() {
    LatencyStats s = LatencyStats.of(1, new long[] {3_000_000});
    assertEquals(3.0, s.p50Ms(), 0);
    assertEquals(3.0, s.p95Ms(), 0);
    assertEquals(0.0, s.stddevMs(), 0);
  }
}
