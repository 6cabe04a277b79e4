package dev.lowrank.linalg.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The kernels of data-aware truncation against plain Java double arithmetic, at sizes across the
 * block boundaries of OpenBLAS and of the blocked Cholesky. (OpenBLAS 0.3.19's float64 triangular
 * kernels give wrong results on AVX-512 machines, which is why the Cholesky factor is computed from
 * {@code dgemm} and {@code dsyrk} only; these checks would catch a kernel that goes wrong.)
 */
class DoubleKernelsTest {

  private static final int[] SIZES = {1, 5, 32, 33, 97, 200};

  private static double[] lowerWithStrongDiagonal(int m, SplittableRandom r) {
    double[] l = new double[m * m];
    for (int j = 0; j < m; j++) {
      for (int i = j; i < m; i++) {
        l[i + j * m] = i == j ? 1 + r.nextDouble() : 0.5 * r.nextGaussian() / Math.sqrt(m);
      }
    }
    return l;
  }

  /** Column-major L L^T. */
  private static double[] gram(double[] l, int m) {
    double[] g = new double[m * m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int k = 0; k <= Math.min(i, j); k++) {
          s += l[i + k * m] * l[j + k * m];
        }
        g[i + j * m] = s;
      }
    }
    return g;
  }

  @Test
  void choleskyRecoversTheFactor() {
    SplittableRandom r = new SplittableRandom(1);
    for (int m : SIZES) {
      double[] l = lowerWithStrongDiagonal(m, r);
      double[] a = gram(l, m);
      assertTrue(DoubleKernels.cholesky(a, m), m + ": positive definite");
      for (int i = 0; i < a.length; i++) {
        assertEquals(l[i], a[i], 1e-10, m + ": entry " + i);
      }
    }
  }

  @Test
  void choleskyReportsAnIndefiniteMatrix() {
    double[] a = {1, 2, 2, 1};
    assertFalse(DoubleKernels.cholesky(a, 2));
    int m = 120;
    SplittableRandom r = new SplittableRandom(2);
    double[] g = gram(lowerWithStrongDiagonal(m, r), m);
    g[100 + 100 * m] = -1;
    assertFalse(DoubleKernels.cholesky(g, m), "a negative pivot in a later block");
  }

  @Test
  void pivotedCholeskyOfASingularMatrix() {
    SplittableRandom r = new SplittableRandom(3);
    int m = 90;
    int rank = 40;
    double[] x = new double[m * rank];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextGaussian();
    }
    double[] g = DoubleKernels.product(x, m, false, x, m, true, m, m, rank);
    double[] a = g.clone();
    int[] piv = new int[m];
    assertEquals(rank, DoubleKernels.pivotedCholesky(a, m, 1e-10 * m, piv));
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int k = 0; k < rank; k++) {
          s += a[i + k * m] * a[j + k * m];
        }
        assertEquals(g[piv[i] + piv[j] * m], s, 1e-9, "P^T G P = L L^T at " + i + "," + j);
      }
    }
  }

  @Test
  void triangularProductAndSolveInFloat32() {
    SplittableRandom r = new SplittableRandom(4);
    for (int m : SIZES) {
      double[] l = lowerWithStrongDiagonal(m, r);
      float[] lf = new float[l.length];
      for (int i = 0; i < l.length; i++) {
        lf[i] = (float) l[i];
      }
      int cols = 7;
      float[] b = new float[m * cols];
      for (int i = 0; i < b.length; i++) {
        b[i] = (float) r.nextGaussian();
      }
      for (boolean t : new boolean[] {false, true}) {
        float[] p = b.clone();
        DoubleKernels.triangularProduct(lf, t, p, m, cols);
        float[] s = p.clone();
        DoubleKernels.triangularSolve(lf, t, s, m, cols);
        for (int c = 0; c < cols; c++) {
          for (int i = 0; i < m; i++) {
            double v = 0;
            for (int k = 0; k < m; k++) {
              v += (t ? l[k + i * m] : l[i + k * m]) * b[k + c * m];
            }
            assertEquals(v, p[i + c * m], 1e-4 * (1 + Math.abs(v)), m + " product " + t);
            assertEquals(b[i + c * m], s[i + c * m], 1e-4, m + " solve " + t);
          }
        }
      }
    }
  }

  @Test
  void gramOfFloatRowsAccumulatesTheUpperTriangle() {
    SplittableRandom r = new SplittableRandom(5);
    int m = 37;
    int n = 50;
    float[] rows = new float[n * m];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = (float) r.nextGaussian();
    }
    double[] packed = new double[m * (m + 1) / 2];
    DoubleKernels.addGram(rows, 0, 20, m, packed);
    DoubleKernels.addGram(rows, 20, 30, m, packed);
    double[] cross = new double[m * m];
    DoubleKernels.addCross(rows, rows, n, m, cross);
    for (int j = 0; j < m; j++) {
      for (int i = 0; i <= j; i++) {
        double s = 0;
        for (int k = 0; k < n; k++) {
          s += (double) rows[k * m + i] * rows[k * m + j];
        }
        assertEquals(s, packed[j * (j + 1) / 2 + i], 1e-4, "G[" + i + "," + j + "]");
        assertEquals(s, cross[i + j * m], 1e-4, "X^T X by the cross product");
      }
    }
  }
}
