package dev.lowrank.bench;

import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackend;
import dev.lowrank.linalg.SvdBackends;
import dev.lowrank.linalg.TestMatrices;
import dev.lowrank.linalg.TruncatedSvd;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Measures where the randomized SVD beats the exact one, the rule behind {@code SvdBackends.auto}:
 * for trained-like matrices of several shapes, the CPU time of the randomized SVD over that of the
 * exact SVD, per rank and per energy fraction. It runs OpenBLAS on one thread and counts the
 * process's CPU time, which other processes on a busy machine disturb far less than wall-clock
 * time. Printed: {@code r<rank> <ratio>}; for energy {@code <fraction>:<ratio>(R|X, <triplets>)}
 * where X marks a hand-over to the exact SVD.
 *
 * <p>Arguments: {@code [--shapes 64x64,128x128,...]}.
 */
public final class AutoCrossover {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private AutoCrossover() {}

  /**
   * Runs the measurement and prints one line per shape.
   *
   * @param args the options
   */
  public static void main(String[] args) {
    String shapes =
        "32x32,64x64,96x96,128x128,192x192,256x256,384x384,512x512,768x768,1024x1024,"
            + "64x256,256x64,128x512,512x128,768x3072,3072x768";
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--shapes")) {
        shapes = args[++i];
      } else {
        throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
      }
    }
    int previous = SvdBackends.blasThreads();
    SvdBackends.setBlasThreads(1);
    try {
      SvdBackend exact = SvdBackends.exact();
      SvdBackend randomized = SvdBackends.randomized(1);
      SvdBackend auto = SvdBackends.auto(1);
      for (String label : shapes.split(",")) {
        String[] sizes = label.split("x");
        int n = Integer.parseInt(sizes[0]);
        int m = Integer.parseInt(sizes[1]);
        int k = Math.min(n, m);
        FloatMatrix w = TestMatrices.trainedLike(n, m, 7);
        int runs = k <= 256 ? 9 : 5;
        double exactSeconds = cpuSeconds(() -> exact.decompose(w, RankTarget.leading(1)), runs);
        StringBuilder line =
            new StringBuilder(
                String.format(Locale.ROOT, "%-10s exact %8.2f ms |", label, exactSeconds * 1e3));
        for (int r : new int[] {8, 16, 32, k / 8, k / 4, k / 3, k / 2, 2 * k / 3}) {
          if (r >= 1 && r <= k) {
            double seconds = cpuSeconds(() -> randomized.decompose(w, RankTarget.leading(r)), runs);
            line.append(String.format(Locale.ROOT, " r%d %.2f", r, seconds / exactSeconds));
          }
        }
        line.append(" | energy");
        for (double fraction : new double[] {0.5, 0.8, 0.9, 0.95, 0.97, 0.99}) {
          RankTarget target = RankTarget.energy(fraction);
          line.append(String.format(Locale.ROOT, " %.2f:", fraction));
          for (SvdBackend backend : List.of(randomized, auto)) {
            TruncatedSvd svd = backend.decompose(w, target);
            double seconds = cpuSeconds(() -> backend.decompose(w, target), runs);
            line.append(
                String.format(
                    Locale.ROOT,
                    "%s%.2f(%s,%d)",
                    backend == auto ? "/" : "",
                    seconds / exactSeconds,
                    svd.method().startsWith("exact") ? "X" : "R",
                    svd.size()));
          }
        }
        System.out.println(line);
      }
    } finally {
      SvdBackends.setBlasThreads(previous);
    }
  }

  /** The CPU time of all live threads of this JVM, in nanoseconds. */
  private static long threadCpuNanos() {
    long sum = 0;
    for (long id : THREADS.getAllThreadIds()) {
      sum += Math.max(0, THREADS.getThreadCpuTime(id));
    }
    return sum;
  }

  /** The median CPU seconds of this JVM's threads over {@code runs} calls, after a warm-up. */
  private static double cpuSeconds(Runnable task, int runs) {
    task.run();
    double[] seconds = new double[runs];
    for (int i = 0; i < runs; i++) {
      long start = threadCpuNanos();
      task.run();
      seconds[i] = (threadCpuNanos() - start) / 1e9;
    }
    Arrays.sort(seconds);
    return seconds[runs / 2];
  }
}
