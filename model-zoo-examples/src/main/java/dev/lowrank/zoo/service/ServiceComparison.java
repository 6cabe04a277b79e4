package dev.lowrank.zoo.service;

import ai.djl.ndarray.types.Shape;
import dev.lowrank.data.Dataset;
import dev.lowrank.service.InferenceService;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Serves the same requests with an original and a compressed model, from several client threads,
 * and reports the latency the compressed model saves. Requests alternate between the two services
 * in rounds, so that a noisy machine does not favour either.
 */
public final class ServiceComparison {

  private ServiceComparison() {}

  /**
   * Latency figures of one service.
   *
   * @param p50Ms median request latency
   * @param p95Ms 95th percentile
   * @param requestsPerSecond throughput over the measured rounds
   */
  public record Figures(double p50Ms, double p95Ms, double requestsPerSecond) {}

  /**
   * Both services' figures.
   *
   * @param original the original model's
   * @param compressed the compressed model's
   * @param threads worker and client threads
   * @param requests requests per service
   */
  public record Result(Figures original, Figures compressed, int threads, int requests) {

    /**
     * Returns the median latency saved, as a speedup.
     *
     * @return original p50 / compressed p50
     */
    public double speedup() {
      return original.p50Ms() / compressed.p50Ms();
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%d requests on %d threads: p50 %.3f ms -> %.3f ms (%.2fx), p95 %.3f ms -> %.3f ms,"
              + " %.0f/s -> %.0f/s",
          requests,
          threads,
          original.p50Ms(),
          compressed.p50Ms(),
          speedup(),
          original.p95Ms(),
          compressed.p95Ms(),
          original.requestsPerSecond(),
          compressed.requestsPerSecond());
    }
  }

  /**
   * Runs the comparison.
   *
   * @param original the original model
   * @param compressed the compressed model
   * @param sampleShape one sample's shape
   * @param data the samples to send, in a loop
   * @param threads worker threads per service, and client threads
   * @param requests requests per service
   * @return the figures
   * @throws IOException if a model fails
   */
  public static Result compare(
      Path original, Path compressed, Shape sampleShape, Dataset data, int threads, int requests)
      throws IOException {
    try (InferenceService a = InferenceService.open(original, sampleShape, threads);
        InferenceService b = InferenceService.open(compressed, sampleShape, threads)) {
      run(a, data, threads, Math.max(threads * 4, requests / 10));
      run(b, data, threads, Math.max(threads * 4, requests / 10));
      List<Long> timesA = new ArrayList<>();
      List<Long> timesB = new ArrayList<>();
      long wallA = 0;
      long wallB = 0;
      int rounds = 10;
      for (int round = 0; round < rounds; round++) {
        InferenceService first = round % 2 == 0 ? a : b;
        InferenceService second = round % 2 == 0 ? b : a;
        long t0 = System.nanoTime();
        List<Long> t1 = run(first, data, threads, requests / rounds);
        long t2 = System.nanoTime();
        List<Long> t3 = run(second, data, threads, requests / rounds);
        long t4 = System.nanoTime();
        (first == a ? timesA : timesB).addAll(t1);
        (second == a ? timesA : timesB).addAll(t3);
        if (first == a) {
          wallA += t2 - t0;
          wallB += t4 - t2;
        } else {
          wallB += t2 - t0;
          wallA += t4 - t2;
        }
      }
      return new Result(figures(timesA, wallA), figures(timesB, wallB), threads, timesA.size());
    }
  }

  private static List<Long> run(InferenceService service, Dataset data, int threads, int count)
      throws IOException {
    ExecutorService clients = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Long>> futures = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        float[] sample = data.features(i % data.size());
        futures.add(
            clients.submit(
                () -> {
                  long t = System.nanoTime();
                  service.predict(sample);
                  return System.nanoTime() - t;
                }));
      }
      List<Long> times = new ArrayList<>();
      for (Future<Long> f : futures) {
        times.add(f.get());
      }
      return times;
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException("A request failed: " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("Interrupted", e);
    } finally {
      clients.shutdownNow();
    }
  }

  private static Figures figures(List<Long> nanos, long wall) {
    long[] sorted = nanos.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(sorted);
    double p50 = sorted[sorted.length / 2] / 1e6;
    double p95 =
        sorted[(int) Math.min(sorted.length - 1, Math.round(0.95 * (sorted.length - 1)))] / 1e6;
    return new Figures(p50, p95, sorted.length / (wall / 1e9));
  }
}
