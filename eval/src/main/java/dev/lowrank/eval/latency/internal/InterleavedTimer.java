package dev.lowrank.eval.latency.internal;

import dev.lowrank.eval.latency.LatencySettings;
import dev.lowrank.format.ModelFileException;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * Times two tasks in alternating rounds (A then B, then B then A, ...) so that drift and noise on a
 * busy machine fall on both alike, and stops adaptively (see {@link LatencySettings}).
 */
public final class InterleavedTimer {

  private final LatencySettings settings;
  private final LongSupplier clock;

  /** A unit of work to time: one batch through one model. */
  @FunctionalInterface
  public interface Task {
    /**
     * Runs the work once.
     *
     * @throws ModelFileException if the model fails
     */
    void run() throws ModelFileException;
  }

  /**
   * The times of both tasks.
   *
   * @param a nanoseconds per run of the first task
   * @param b nanoseconds per run of the second task
   */
  public record Times(long[] a, long[] b) {}

  /**
   * Creates a timer.
   *
   * @param settings warm-up, budget and iteration limits
   * @param clock a nanosecond clock ({@code System::nanoTime}; tests pass a fake one)
   */
  public InterleavedTimer(LatencySettings settings, LongSupplier clock) {
    this.settings = settings;
    this.clock = clock;
  }

  /**
   * Warms both tasks up, then times them.
   *
   * @param a the first task
   * @param b the second task
   * @return the measured times, the same number for both
   * @throws ModelFileException if a task fails
   */
  public Times measure(Task a, Task b) throws ModelFileException {
    long warmEnd = clock.getAsLong() + settings.warmup().toNanos();
    for (int i = 0; i < settings.warmupIterations() || clock.getAsLong() < warmEnd; i++) {
      a.run();
      b.run();
    }
    int cap = Math.min(settings.maxIterations(), 1024);
    long[] ta = new long[cap];
    long[] tb = new long[cap];
    Welford wa = new Welford();
    Welford wb = new Welford();
    long end = clock.getAsLong() + settings.budget().toNanos();
    int n = 0;
    while (n < settings.maxIterations()) {
      if (n == ta.length) {
        int grown = (int) Math.min(settings.maxIterations(), 2L * ta.length);
        ta = Arrays.copyOf(ta, grown);
        tb = Arrays.copyOf(tb, grown);
      }
      if (n % 2 == 0) {
        ta[n] = time(a);
        tb[n] = time(b);
      } else {
        tb[n] = time(b);
        ta[n] = time(a);
      }
      wa.add(ta[n]);
      wb.add(tb[n]);
      n++;
      if (n >= settings.minIterations()
          && (clock.getAsLong() >= end
              || (wa.relativeStandardError() <= settings.targetRelativeError()
                  && wb.relativeStandardError() <= settings.targetRelativeError()))) {
        break;
      }
    }
    return new Times(Arrays.copyOf(ta, n), Arrays.copyOf(tb, n));
  }

  private long time(Task task) throws ModelFileException {
    long start = clock.getAsLong();
    task.run();
    return clock.getAsLong() - start;
  }

  /** Running mean and variance (Welford's algorithm). */
  static final class Welford {
    private long n;
    private double mean;
    private double m2;

    void add(double x) {
      n++;
      double d = x - mean;
      mean += d / n;
      m2 += d * (x - mean);
    }

    double relativeStandardError() {
      if (n < 2 || mean <= 0) {
        return Double.POSITIVE_INFINITY;
      }
      double sd = Math.sqrt(m2 / (n - 1));
      return sd / Math.sqrt(n) / mean;
    }
  }
}
