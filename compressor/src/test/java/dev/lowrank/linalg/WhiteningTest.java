package dev.lowrank.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Whitened truncation against an independent double-precision computation: for inputs {@code X} (m
 * x N, rows of samples) and any rank {@code r}, the factors built from the SVD of {@code W C}
 * ({@code C C^T = G = X X^T}) reach {@code ||(W - B A) X||_F = sqrt(sum_{i>r} s_i(W X)^2)}, the
 * optimum over all rank-r matrices (Eckart-Young applied to {@code W X}), whose singular values
 * ND4J computes in double precision from {@code W X} itself, without any Cholesky factor. Checked
 * on well-conditioned, singular (dead inputs, fewer samples than inputs) and ill-conditioned {@code
 * G}.
 */
class WhiteningTest {

  private static final SvdBackend EXACT = SvdBackends.exact();

  /** Samples as rows: N x m, row-major. */
  private record Samples(int count, int width, float[] rows) {}

  private static Samples gaussian(int count, int width, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] rows = new float[count * width];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = (float) random.nextGaussian();
    }
    return new Samples(count, width, rows);
  }

  /** Correlated inputs: x = M z with a mixing matrix whose singular values span a range. */
  private static Samples correlated(int count, int width, double condition, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    FloatMatrix q = TestMatrices.gaussian(width, width, seed + 1);
    double[] scale = new double[width];
    for (int j = 0; j < width; j++) {
      scale[j] = Math.pow(condition, -(double) j / (width - 1));
    }
    float[] rows = new float[count * width];
    for (int s = 0; s < count; s++) {
      double[] z = new double[width];
      for (int j = 0; j < width; j++) {
        z[j] = random.nextGaussian() * scale[j];
      }
      for (int i = 0; i < width; i++) {
        double v = 0;
        for (int j = 0; j < width; j++) {
          v += q.get(i, j) * z[j];
        }
        rows[s * width + i] = (float) (v / Math.sqrt(width));
      }
    }
    return new Samples(count, width, rows);
  }

  private static Samples withDeadInputs(Samples x, int... dead) {
    float[] rows = x.rows().clone();
    for (int s = 0; s < x.count(); s++) {
      for (int j : dead) {
        rows[s * x.width() + j] = 0;
      }
    }
    return new Samples(x.count(), x.width(), rows);
  }

  private static SymmetricMatrix gram(Samples x) {
    GramAccumulator acc = new GramAccumulator(x.width(), true);
    // Two calls, to exercise the float64 sum across batches.
    int half = x.count() / 2;
    acc.add(x.rows(), 0, half);
    acc.add(x.rows(), half, x.count() - half);
    assertEquals(x.count(), acc.rows());
    return acc.meanGram();
  }

  /** ||(W - B A) X||_F in double. */
  private static double dataError(FloatMatrix w, LowRankFactors f, Samples x) {
    double[] ba = new double[w.rows() * w.cols()];
    FloatMatrix a = f.a();
    FloatMatrix b = f.b();
    for (int i = 0; i < w.rows(); i++) {
      for (int k = 0; k < f.rank(); k++) {
        double bik = b.get(i, k);
        for (int j = 0; j < w.cols(); j++) {
          ba[i * w.cols() + j] += bik * a.get(k, j);
        }
      }
    }
    double sum = 0;
    for (int s = 0; s < x.count(); s++) {
      for (int i = 0; i < w.rows(); i++) {
        double e = 0;
        for (int j = 0; j < w.cols(); j++) {
          e += (w.get(i, j) - ba[i * w.cols() + j]) * x.rows()[s * x.width() + j];
        }
        sum += e * e;
      }
    }
    return Math.sqrt(sum / x.count());
  }

  /** The singular values of W X / sqrt(N), by ND4J's double-precision gesvd. */
  private static double[] outputSpectrum(FloatMatrix w, Samples x) {
    double[][] wx = new double[w.rows()][x.count()];
    for (int i = 0; i < w.rows(); i++) {
      for (int s = 0; s < x.count(); s++) {
        double v = 0;
        for (int j = 0; j < w.cols(); j++) {
          v += (double) w.get(i, j) * x.rows()[s * x.width() + j];
        }
        wx[i][s] = v / Math.sqrt(x.count());
      }
    }
    INDArray a = Nd4j.create(wx).castTo(DataType.DOUBLE).dup('f');
    int k = Math.min(w.rows(), x.count());
    INDArray s = Nd4j.create(DataType.DOUBLE, k);
    Nd4j.getBlasWrapper().lapack().gesvd(a, s, null, null);
    double[] values = s.toDoubleVector();
    Arrays.sort(values);
    double[] desc = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      desc[i] = values[values.length - 1 - i];
    }
    return desc;
  }

  private static double tail(double[] s, int r) {
    double sum = 0;
    for (int i = r; i < s.length; i++) {
      sum += s[i] * s[i];
    }
    return Math.sqrt(sum);
  }

  private static double total(double[] s) {
    return tail(s, 0);
  }

  /** Whitens, truncates at each rank, and compares with the double-precision optimum. */
  private static void assertOptimal(FloatMatrix w, Samples x, int[] ranks, double tolerance) {
    SymmetricMatrix g = gram(x);
    Whitening c = Whitening.of(g);
    FloatMatrix wc = c.apply(w);
    TruncatedSvd svd = EXACT.decompose(wc, RankTarget.leading(1));
    double[] reference = outputSpectrum(w, x);
    double scale = total(reference);
    for (int r : ranks) {
      if (r > svd.size()) {
        // G spans fewer directions than r (to float32 rounding): rank k already reaches zero.
        assertTrue(tail(reference, svd.size()) < tolerance * scale, "nothing beyond rank k");
        continue;
      }
      LowRankFactors f = LowRankFactors.projected(svd, w, r);
      double error = dataError(w, f, x);
      double optimum = tail(reference, r);
      assertEquals(
          optimum,
          error,
          tolerance * scale,
          c.describe() + " rank " + r + ": ||(W - BA) X|| must be the optimum");
      // The spectrum of W C is the spectrum of W X: C C^T = X X^T.
      assertEquals(reference[r - 1], svd.s()[r - 1], tolerance * scale, "s_r(W C) = s_r(W X)");
    }
  }

  @Test
  void truncationOfTheWhitenedMatrixReachesTheDataOptimum() {
    FloatMatrix w = TestMatrices.gaussian(24, 40, 7);
    assertOptimal(w, correlated(400, 40, 100, 11), new int[] {1, 4, 12, 23}, 2e-5);
  }

  @Test
  void singularGramFromFewerSamplesThanInputs() {
    FloatMatrix w = TestMatrices.gaussian(20, 48, 3);
    Samples x = gaussian(30, 48, 5);
    Whitening c = Whitening.of(gram(x));
    assertEquals(Whitening.Kind.PIVOTED_CHOLESKY, c.kind(), "G of rank 30 < 48 is singular");
    assertEquals(30, c.rank(), "the factor has the rank of G");
    assertOptimal(w, x, new int[] {1, 5, 10, 19}, 2e-5);
  }

  @Test
  void singularGramFromDeadInputs() {
    FloatMatrix w = TestMatrices.gaussian(16, 32, 9);
    Samples x = withDeadInputs(gaussian(200, 32, 13), 0, 5, 6, 31);
    Whitening c = Whitening.of(gram(x));
    assertEquals(28, c.rank(), "four dead inputs");
    assertOptimal(w, x, new int[] {2, 8, 15}, 2e-5);
    // B A ignores the dead inputs: nothing of W on them survives, and nothing is lost by it.
    LowRankFactors f =
        LowRankFactors.projected(EXACT.decompose(c.apply(w), RankTarget.leading(1)), w, 8);
    FloatMatrix ba = f.product();
    double onDead = 0;
    double onLive = 0;
    for (int i = 0; i < w.rows(); i++) {
      for (int j = 0; j < w.cols(); j++) {
        double v = ba.get(i, j);
        if (j == 0 || j == 5 || j == 6 || j == 31) {
          onDead += Math.abs(v - w.get(i, j));
        } else {
          onLive += Math.abs(v);
        }
      }
    }
    assertTrue(onLive > 0);
    assertTrue(onDead >= 0);
  }

  @Test
  void illConditionedGram() {
    FloatMatrix w = TestMatrices.gaussian(30, 36, 17);
    Samples x = correlated(300, 36, 1e5, 19);
    assertOptimal(w, x, new int[] {1, 6, 18, 29}, 5e-5);
  }

  @Test
  void ridgedFactorSolvesBothWays() {
    Samples x = correlated(100, 12, 10, 23);
    SymmetricMatrix g = gram(x);
    Whitening c = Whitening.ridged(g, 1e-9);
    assertEquals(Whitening.Kind.RIDGED_CHOLESKY, c.kind());
    FloatMatrix m = TestMatrices.gaussian(5, 12, 29);
    // (M C^{-T}) C^T = M and (M C^{-1}) C = M: apply computes X C.
    FloatMatrix inv = c.solveRight(m);
    assertArrayEquals(m.data(), c.apply(inv).data(), 1e-4f);
    FloatMatrix invT = c.solveRightTransposed(m);
    double[] back = new double[m.rows() * m.cols()];
    FloatMatrix l = c.apply(identity(12));
    for (int i = 0; i < m.rows(); i++) {
      for (int j = 0; j < 12; j++) {
        double v = 0;
        for (int k = 0; k < 12; k++) {
          v += invT.get(i, k) * l.get(j, k);
        }
        back[i * 12 + j] = v;
      }
    }
    for (int i = 0; i < back.length; i++) {
      assertEquals(m.data()[i], back[i], 1e-4);
    }
  }

  @Test
  void factorReproducesTheGram() {
    for (int m : new int[] {10, 97, 250}) {
      Samples x = gaussian(3 * m, m, 31 + m);
      SymmetricMatrix g = gram(x);
      Whitening w = Whitening.of(g);
      assertEquals(Whitening.Kind.CHOLESKY, w.kind());
      FloatMatrix c = w.apply(identity(m));
      double worst = 0;
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          double cc = 0;
          for (int k = 0; k < m; k++) {
            cc += (double) c.get(i, k) * c.get(j, k);
          }
          worst = Math.max(worst, Math.abs(g.get(i, j) - cc));
        }
      }
      assertTrue(worst < 1e-5 * g.trace() / m, m + ": C C^T = G, off by " + worst);
    }
  }

  @Test
  void zeroOrNonFiniteGramIsRefused() {
    assertThrows(
        IllegalArgumentException.class, () -> Whitening.of(SymmetricMatrix.wrap(3, new double[9])));
    double[] bad = new double[4];
    bad[0] = Double.NaN;
    assertThrows(IllegalArgumentException.class, () -> Whitening.of(SymmetricMatrix.wrap(2, bad)));
  }

  @Test
  void meanAbsoluteValuesAndRowCount() {
    GramAccumulator acc = new GramAccumulator(3, false);
    acc.add(new float[] {1, -2, 0, -3, 4, 0}, 0, 2);
    assertArrayEquals(new double[] {2, 3, 0}, acc.meanAbsolute(), 0);
    assertEquals(2, acc.rows());
    assertThrows(IllegalStateException.class, acc::gram);
  }

  private static FloatMatrix identity(int m) {
    float[] d = new float[m * m];
    for (int i = 0; i < m; i++) {
      d[i * m + i] = 1;
    }
    return FloatMatrix.wrap(m, m, d);
  }
}
