package dev.lowrank.bench;

import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackend;
import dev.lowrank.linalg.SvdBackends;
import dev.lowrank.linalg.SvdMethod;
import dev.lowrank.linalg.TestMatrices;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures how to spend the cores when factorizing several layers: one layer at a time with
 * multi-threaded OpenBLAS, or several layers at once with fewer OpenBLAS threads each. It
 * factorizes the six matrices of a BERT-base encoder layer at rank 128 with every combination of
 * workers and OpenBLAS threads up to the core count (and one oversubscribed combination), and
 * prints the wall time of each. The findings are in {@code docs/linalg.md} ("Threads").
 *
 * <p>Since {@link dev.lowrank.linalg.BlasThreads} admits a call only while the threads in flight
 * fit the cores, the combinations with more workers times threads than cores now run one call at a
 * time; the oversubscribed figures of the docs were measured before.
 *
 * <p>Arguments: {@code [--runs N] [--method exact|randomized|auto]}.
 */
public final class ParallelLayers {

  private ParallelLayers() {}

  /**
   * Runs the comparison and prints a table.
   *
   * @param args the options
   * @throws Exception if a factorization fails
   */
  public static void main(String[] args) throws Exception {
    int runs = 3;
    String method = "randomized";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--method" -> method = args[++i];
        default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
      }
    }
    List<FloatMatrix> layer = new ArrayList<>();
    long seed = 42;
    for (Shape shape : Shape.BERT_BASE_LAYER) {
      for (int i = 0; i < shape.count(); i++) {
        layer.add(TestMatrices.trainedLike(shape.rows(), shape.cols(), seed++));
      }
    }
    SvdBackend backend = SvdBackends.create(SvdMethod.parse(method), 42);
    int cores = Runtime.getRuntime().availableProcessors();
    int previous = SvdBackends.blasThreads();
    System.out.printf(
        Locale.ROOT,
        "%s SVD of one BERT-base layer (6 matrices, rank 128), %d cores%n",
        method,
        cores);
    System.out.printf(Locale.ROOT, "%8s %13s %12s%n", "workers", "BLAS threads", "seconds");
    try {
      for (int workers = 1; workers <= cores; workers++) {
        for (int threads = 1; threads <= cores; threads++) {
          row(layer, backend, workers, threads, runs);
        }
      }
    } finally {
      SvdBackends.setBlasThreads(previous);
    }
  }

  private static void row(
      List<FloatMatrix> layer, SvdBackend backend, int workers, int threads, int runs)
      throws InterruptedException, ExecutionException {
    SvdBackends.setBlasThreads(threads);
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    try {
      double seconds =
          Timing.medianSeconds(
              () -> {
                List<Future<?>> futures = new ArrayList<>();
                for (FloatMatrix w : layer) {
                  futures.add(pool.submit(() -> backend.decompose(w, RankTarget.leading(128))));
                }
                for (Future<?> future : futures) {
                  try {
                    future.get();
                  } catch (InterruptedException | ExecutionException e) {
                    throw new IllegalStateException(e);
                  }
                }
              },
              runs);
      System.out.printf(Locale.ROOT, "%8d %13d %12.4f%n", workers, threads, seconds);
    } finally {
      pool.shutdown();
    }
  }
}
