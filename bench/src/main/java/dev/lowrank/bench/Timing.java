package dev.lowrank.bench;

import java.util.Arrays;

/** Wall-clock timing: one warm-up call, then the median of several. */
final class Timing {

  private Timing() {}

  /**
   * Returns the median wall-clock seconds of {@code runs} calls of {@code task}, after one warm-up
   * call that is not counted.
   */
  static double medianSeconds(Runnable task, int runs) {
    task.run();
    double[] seconds = new double[runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      task.run();
      seconds[i] = (System.nanoTime() - start) / 1e9;
    }
    Arrays.sort(seconds);
    return runs % 2 == 1 ? seconds[runs / 2] : (seconds[runs / 2 - 1] + seconds[runs / 2]) / 2;
  }
}
