package dev.lowrank.eval.latency;

import java.util.Arrays;

/**
 * Latency figures of one model at one batch size, in milliseconds per batch.
 *
 * <p>Percentiles use the nearest-rank method: {@code p50} is the {@code ceil(0.5 n)}-th smallest
 * time, {@code p95} the {@code ceil(0.95 n)}-th. Throughput is {@code batchSize / mean}, in samples
 * per second.
 *
 * @param batchSize samples per batch
 * @param iterations timed runs
 * @param meanMs mean time per batch
 * @param p50Ms median time per batch
 * @param p95Ms 95th percentile time per batch
 * @param minMs fastest batch
 * @param stddevMs standard deviation of the times
 * @param throughput samples per second, from the mean
 */
public record LatencyStats(
    int batchSize,
    int iterations,
    double meanMs,
    double p50Ms,
    double p95Ms,
    double minMs,
    double stddevMs,
    double throughput) {

  /**
   * Summarizes measured times.
   *
   * @param batchSize samples per batch
   * @param nanos the times in nanoseconds (at least one); not modified
   * @return the figures
   */
  public static LatencyStats of(int batchSize, long[] nanos) {
    if (nanos.length == 0) {
      throw new IllegalArgumentException("No time measured");
    }
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    double sum = 0;
    for (long t : sorted) {
      sum += t;
    }
    double mean = sum / n;
    double sq = 0;
    for (long t : sorted) {
      sq += (t - mean) * (t - mean);
    }
    double sd = n > 1 ? Math.sqrt(sq / (n - 1)) : 0;
    double ms = 1e-6;
    return new LatencyStats(
        batchSize,
        n,
        mean * ms,
        percentile(sorted, 0.50) * ms,
        percentile(sorted, 0.95) * ms,
        sorted[0] * ms,
        sd * ms,
        mean > 0 ? batchSize / (mean * 1e-9) : Double.POSITIVE_INFINITY);
  }

  /**
   * Returns the nearest-rank percentile of sorted values.
   *
   * @param sorted ascending values
   * @param p the percentile, in (0, 1]
   * @return the {@code ceil(p n)}-th smallest value
   */
  static long percentile(long[] sorted, double p) {
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
  }
}
