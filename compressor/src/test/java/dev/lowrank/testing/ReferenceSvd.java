package dev.lowrank.testing;

import dev.lowrank.linalg.FloatMatrix;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An independent reference for tests: singular values in double precision from ND4J's LAPACK {@code
 * gesvd}, a different routine and precision than the compressor's float32 {@code sgesdd}.
 */
public final class ReferenceSvd {

  private ReferenceSvd() {}

  /**
   * Returns the singular values of a matrix, descending, computed in double precision.
   *
   * @param w the matrix
   * @return all {@code min(n, m)} singular values
   */
  public static double[] singularValues(FloatMatrix w) {
    double[][] rows = new double[w.rows()][w.cols()];
    for (int i = 0; i < w.rows(); i++) {
      for (int j = 0; j < w.cols(); j++) {
        rows[i][j] = w.get(i, j);
      }
    }
    INDArray a = Nd4j.create(rows).castTo(DataType.DOUBLE).dup('f');
    int k = Math.min(w.rows(), w.cols());
    INDArray s = Nd4j.create(DataType.DOUBLE, k);
    Nd4j.getBlasWrapper().lapack().gesvd(a, s, null, null);
    double[] values = s.toDoubleVector();
    Arrays.sort(values);
    for (int i = 0; i < values.length / 2; i++) {
      double t = values[i];
      values[i] = values[values.length - 1 - i];
      values[values.length - 1 - i] = t;
    }
    return values;
  }

  /**
   * Returns the Eckart-Young optimum {@code sqrt(sum_{i>r} s_i^2)}: the smallest Frobenius error
   * any rank-{@code r} matrix can reach.
   *
   * @param w the matrix
   * @param r the rank
   * @return the optimal error
   */
  public static double optimalError(FloatMatrix w, int r) {
    double[] s = singularValues(w);
    double sum = 0;
    for (int i = r; i < s.length; i++) {
      sum += s[i] * s[i];
    }
    return Math.sqrt(sum);
  }
}
