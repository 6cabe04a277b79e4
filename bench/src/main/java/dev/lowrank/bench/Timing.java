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
    return median(seconds);
  }

  /**
   * Returns the median wall-clock seconds of {@code runs} calls of each task, the two called in
   * turn (after one warm-up call each), so that a change of the machine's load hits both alike.
   */
  static double[] medianSecondsInTurn(Runnable first, Runnable second, int runs) {
    first.run();
    second.run();
    double[] a = new double[runs];
    double[] b = new double[runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      first.run();
      a[i] = (System.nanoTime() - start) / 1e9;
      start = System.nanoTime();
      second.run();
      b[i] = (System.nanoTime() - start) / 1e9;
    }
    return new double[] {median(a), median(b)};
  }

  private static double median(double[] seconds) {
    Arrays.sort(seconds);
    int runs = seconds.length;
    return runs % 2 == 1 ? seconds[runs / 2] : (seconds[runs / 2 - 1] + seconds[runs / 2]) / 2;
  }
}
