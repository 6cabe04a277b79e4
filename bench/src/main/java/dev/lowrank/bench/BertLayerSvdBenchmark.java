package dev.lowrank.bench;

import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackend;
import dev.lowrank.linalg.SvdBackends;
import dev.lowrank.linalg.SvdMethod;
import dev.lowrank.linalg.TestMatrices;
import java.util.ArrayList;
import java.util.List;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The rank-128 factorization of the six weight matrices of one BERT-base encoder layer (four 768 x
 * 768, one 3072 x 768, one 768 x 3072), per backend; BERT-base has twelve such layers.
 *
 * <p>{@code java -jar bench/target/benchmarks.jar BertLayerSvdBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Dai.djl.offline=true", "-Xmx3g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class BertLayerSvdBenchmark {

  /** The backend, as {@link SvdMethod#cliName} spells it. */
  @Param({"exact", "randomized", "auto"})
  public String method;

  private final List<FloatMatrix> layer = new ArrayList<>();
  private SvdBackend backend;

  /** Builds the six matrices and the backend. */
  @Setup
  public void setUp() {
    long seed = 42;
    for (Shape shape : Shape.BERT_BASE_LAYER) {
      for (int i = 0; i < shape.count(); i++) {
        layer.add(TestMatrices.trainedLike(shape.rows(), shape.cols(), seed++));
      }
    }
    backend = SvdBackends.create(SvdMethod.parse(method), 42);
  }

  /**
   * Factorizes the six matrices.
   *
   * @param sink keeps the results alive
   */
  @Benchmark
  public void decomposeLayer(Blackhole sink) {
    for (FloatMatrix w : layer) {
      sink.consume(backend.decompose(w, RankTarget.leading(128)));
    }
  }
}
