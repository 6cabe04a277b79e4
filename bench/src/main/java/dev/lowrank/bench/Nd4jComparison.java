package dev.lowrank.bench;

import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackends;
import dev.lowrank.linalg.TestMatrices;
import java.util.Locale;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Measures where ND4J could serve the SVD backends: its start-up, its matrix product next to {@code
 * cblas_sgemm} on the sketch products of the randomized SVD, and its LAPACK SVD next to ours. The
 * findings are in {@code docs/linalg.md} ("Why not ND4J").
 *
 * <p>Arguments: {@code [--threads N] [--gesvd-sizes 256,512,1024] [--runs N]}.
 */
public final class Nd4jComparison {

  private Nd4jComparison() {}

  /**
   * Runs the comparison and prints a table.
   *
   * @param args the options
   */
  public static void main(String[] args) {
    int threads = SvdBackends.blasThreads();
    String gesvdSizes = "256,512,1024";
    int runs = 5;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--gesvd-sizes" -> gesvdSizes = args[++i];
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
      }
    }
    SvdBackends.setBlasThreads(threads);
    long start = System.nanoTime();
    INDArray warm = Nd4j.create(new float[] {1, 2, 3, 4}, new long[] {2, 2}, 'c');
    warm.mmul(warm);
    double initSeconds = (System.nanoTime() - start) / 1e9;
    int threadsAfterNd4j = SvdBackends.blasThreads();
    SvdBackends.setBlasThreads(threads);
    print(
        "ND4J start-up (first create + mmul): %.2f s; OpenBLAS threads %d before, %d after",
        initSeconds, threads, threadsAfterNd4j);
    print("");
    print(
        "%-22s %12s %12s %12s %12s",
        "product (l = 160)", "cblas (s)", "multiply", "nd4j mmul", "nd4j+copies");
    int l = 160;
    for (int[] shape : new int[][] {{768, 768}, {3072, 768}, {768, 3072}, {2048, 2048}}) {
      gemmRow(shape[0], shape[1], l, runs);
    }
    print("");
    print("%-22s %12s %12s", "SVD (all triplets)", "sgesdd (s)", "nd4j gesvd");
    for (String size : gesvdSizes.split(",")) {
      int n = Integer.parseInt(size.trim());
      FloatMatrix w = TestMatrices.trainedLike(n, n, 5);
      double ours =
          Timing.medianSeconds(() -> SvdBackends.exact().decompose(w, RankTarget.leading(1)), 3);
      INDArray a = Nd4j.create(w.data(), new long[] {n, n}, 'c');
      double nd4j =
          Timing.medianSeconds(
              () -> {
                INDArray s = Nd4j.create(a.dataType(), n);
                INDArray u = Nd4j.create(a.dataType(), new long[] {n, n}, 'f');
                INDArray vt = Nd4j.create(a.dataType(), new long[] {n, n}, 'f');
                Nd4j.getBlasWrapper().lapack().gesvd(a.dup('f'), s, u, vt);
              },
              1);
      print("%-22s %12.4f %12.4f", n + "x" + n, ours, nd4j);
    }
  }

  private static void gemmRow(int rows, int cols, int l, int runs) {
    FloatMatrix w = TestMatrices.gaussian(rows, cols, 1);
    FloatMatrix x = TestMatrices.gaussian(cols, l, 2);
    double cblas;
    try (FloatPointer pw = new FloatPointer(w.data());
        FloatPointer px = new FloatPointer(x.data());
        FloatPointer py = new FloatPointer((long) rows * l)) {
      cblas =
          Timing.medianSeconds(
              () ->
                  openblas.cblas_sgemm(
                      openblas.CblasRowMajor,
                      openblas.CblasNoTrans,
                      openblas.CblasNoTrans,
                      rows,
                      l,
                      cols,
                      1f,
                      pw,
                      cols,
                      px,
                      l,
                      0f,
                      py,
                      l),
              runs);
    }
    double blas = Timing.medianSeconds(() -> w.multiply(x), runs);
    INDArray a = Nd4j.create(w.data(), new long[] {rows, cols}, 'c');
    INDArray b = Nd4j.create(x.data(), new long[] {cols, l}, 'c');
    double nd4j = Timing.medianSeconds(() -> a.mmul(b), runs);
    double nd4jCopies =
        Timing.medianSeconds(
            () -> {
              INDArray aa = Nd4j.create(w.data(), new long[] {rows, cols}, 'c');
              INDArray bb = Nd4j.create(x.data(), new long[] {cols, l}, 'c');
              FloatMatrix.wrap(rows, l, aa.mmul(bb).data().asFloat());
            },
            runs);
    print(
        "%-22s %12.4f %12.4f %12.4f %12.4f",
        rows + "x" + cols + " * " + cols + "x" + l, cblas, blas, nd4j, nd4jCopies);
  }

  private static void print(String format, Object... args) {
    System.out.println(String.format(Locale.ROOT, format, args));
  }
}
