package dev.lowrank.bench;

import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackend;
import dev.lowrank.linalg.SvdBackends;
import dev.lowrank.linalg.SvdMethod;
import dev.lowrank.linalg.TestMatrices;
import dev.lowrank.linalg.TruncatedSvd;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One truncated SVD of a trained-like matrix, per backend and shape: the 2048 x 2048 square and the
 * BERT-base shapes, at rank 128.
 *
 * <p>{@code java -jar bench/target/benchmarks.jar SvdBenchmark -p shape=2048x2048}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Dai.djl.offline=true", "-Xmx3g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class SvdBenchmark {

  /** The matrix shape, rows x columns. */
  @Param({"768x768", "768x3072", "3072x768", "2048x2048"})
  public String shape;

  /** The backend, as {@link SvdMethod#cliName} spells it. */
  @Param({"exact", "randomized"})
  public String method;

  /** The rank of the truncation. */
  @Param({"128"})
  public int rank;

  private FloatMatrix w;
  private SvdBackend backend;
  private RankTarget target;

  /** Builds the matrix and the backend. */
  @Setup
  public void setUp() {
    String[] sizes = shape.split("x");
    w = TestMatrices.trainedLike(Integer.parseInt(sizes[0]), Integer.parseInt(sizes[1]), 42);
    backend = SvdBackends.create(SvdMethod.parse(method), 42);
    target = RankTarget.leading(rank);
  }

  /**
   * Factorizes the matrix.
   *
   * @return the decomposition, so that it is not optimized away
   */
  @Benchmark
  public TruncatedSvd decompose() {
    return backend.decompose(w, target);
  }
}
