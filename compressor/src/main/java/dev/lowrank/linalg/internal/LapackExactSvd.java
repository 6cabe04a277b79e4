package dev.lowrank.linalg.internal;

import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackend;
import dev.lowrank.linalg.TruncatedSvd;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;

/**
 * Exact SVD through LAPACK's divide-and-conquer {@code sgesdd}, from the OpenBLAS build that ND4J
 * 1.0.0-M2.1 ships ({@code org.bytedeco:openblas:0.3.19-1.5.7}).
 */
public final class LapackExactSvd implements SvdBackend {

  @Override
  public String name() {
    return "exact";
  }

  @Override
  public TruncatedSvd decompose(FloatMatrix w, RankTarget target) {
    int n = w.rows();
    int m = w.cols();
    int k = Math.min(n, m);
    if (k == 0) {
      throw new IllegalArgumentException("Cannot factorize an empty " + w.shape() + " matrix");
    }
    if (target instanceof RankTarget.Leading leading && leading.rank() > k) {
      throw new IllegalArgumentException(
          "rank "
              + leading.rank()
              + " exceeds min(n, m) = "
              + k
              + " of a "
              + w.shape()
              + " matrix");
    }
    float[] s = new float[k];
    float[] u = new float[Math.multiplyExact(n, k)];
    float[] vt = new float[Math.multiplyExact(k, m)];
    try (FloatPointer pa = new FloatPointer(w.data());
        FloatPointer ps = new FloatPointer(k);
        FloatPointer pu = new FloatPointer((long) n * k);
        FloatPointer pvt = new FloatPointer((long) k * m)) {
      int info =
          openblas.LAPACKE_sgesdd(
              openblas.LAPACK_ROW_MAJOR, (byte) 'S', n, m, pa, m, ps, pu, k, pvt, m);
      if (info != 0) {
        throw new ArithmeticException(
            "LAPACK sgesdd did not converge on a " + w.shape() + " matrix (info " + info + ")");
      }
      ps.get(s);
      pu.get(u);
      pvt.get(vt);
    }
    return new TruncatedSvd(
        FloatMatrix.wrap(n, k, u), s, FloatMatrix.wrap(k, m, vt), w.frobeniusNormSquared(), name());
  }
}
