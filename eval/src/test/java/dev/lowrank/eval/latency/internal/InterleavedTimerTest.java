package dev.lowrank.eval.latency.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.eval.latency.LatencySettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Drives the timer with a fake clock: every task advances it by a known amount. */
class InterleavedTimerTest {

  private long now;
  private final List<String> calls = new ArrayList<>();

  private InterleavedTimer.Task task(String name, long[] durations, Random noise) {
    return () -> {
      calls.add(name);
      long d = durations[0];
      if (noise != null) {
        d += noise.nextInt((int) (d / 2) + 1);
      }
      now += d;
    };
  }

  @Test
  void alternatesWhichModelGoesFirstAndTimesEach() throws Exception {
    LatencySettings s =
        LatencySettings.builder()
            .optWarmup(Duration.ZERO, 2)
            .optIterations(4, 4)
            .optBudget(Duration.ofSeconds(100))
            .build();
    InterleavedTimer.Times t =
        new InterleavedTimer(s, () -> now)
            .measure(task("a", new long[] {1000}, null), task("b", new long[] {3000}, null));
    assertEquals(List.of("a", "b", "a", "b", "a", "b", "b", "a", "a", "b", "b", "a"), calls);
    assertEquals(4, t.a().length);
    for (int i = 0; i < 4; i++) {
      assertEquals(1000, t.a()[i]);
      assertEquals(3000, t.b()[i]);
    }
  }

  @Test
  void stableTimesStopAtTheMinimumIterations() throws Exception {
    LatencySettings s =
        LatencySettings.builder()
            .optWarmup(Duration.ZERO, 0)
            .optIterations(30, 10_000)
            .optBudget(Duration.ofSeconds(100))
            .optTargetRelativeError(0.01)
            .build();
    InterleavedTimer.Times t =
        new InterleavedTimer(s, () -> now)
            .measure(task("a", new long[] {1000}, null), task("b", new long[] {2000}, null));
    assertEquals(30, t.a().length);
  }

  @Test
  void noisyTimesRunUntilTheBudgetIsSpent() throws Exception {
    LatencySettings s =
        LatencySettings.builder()
            .optWarmup(Duration.ofMillis(1), 0)
            .optIterations(5, 1_000_000)
            .optBudget(Duration.ofMillis(50))
            .optTargetRelativeError(0)
            .build();
    Random r = new Random(7);
    InterleavedTimer.Times t =
        new InterleavedTimer(s, () -> now)
            .measure(task("a", new long[] {100_000}, r), task("b", new long[] {100_000}, r));
    int n = t.a().length;
    // Each round costs 200-300 us of fake time; 50 ms of budget fit 167 to 250 rounds.
    assertTrue(n >= 160 && n <= 260, "rounds: " + n);
    assertEquals(n, t.b().length);
  }

  @Test
  void maxIterationsCapsTheRun() throws Exception {
    LatencySettings s =
        LatencySettings.builder()
            .optWarmup(Duration.ZERO, 0)
            .optIterations(3, 2000)
            .optBudget(Duration.ofDays(1))
            .optTargetRelativeError(0)
            .build();
    Random r = new Random(3);
    InterleavedTimer.Times t =
        new InterleavedTimer(s, () -> now)
            .measure(task("a", new long[] {1000}, r), task("b", new long[] {1000}, r));
    assertEquals(2000, t.a().length);
  }
}
