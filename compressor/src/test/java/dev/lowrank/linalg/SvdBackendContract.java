package dev.lowrank.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract every {@link SvdBackend} meets, checked against the definition of the SVD on seeded
 * inputs; subclassed once per backend.
 */
abstract class SvdBackendContract {

  /** Orthonormality of U's columns and Vt's rows, as the largest entry of {@code X^T X - I}. */
  static final double ORTHONORMALITY = 1e-4;

  /** The backend under test. */
  abstract SvdBackend backend();

  /**
   * The largest allowed ratio of the rank-r error to the Eckart-Young optimum on trained-like
   * spectra.
   */
  abstract double optimumFactor();

  static Stream<Arguments> shapes() {
    return Stream.of(
        Arguments.of(1, 1),
        Arguments.of(1, 37),
        Arguments.of(41, 1),
        Arguments.of(2, 2),
        Arguments.of(64, 64),
        Arguments.of(50, 130),
        Arguments.of(150, 60),
        Arguments.of(200, 200));
  }

  @ParameterizedTest(name = "{0}x{1}")
  @MethodSource("shapes")
  void leadingTripletsHaveTheShapesAndPropertiesOfAnSvd(int n, int m) {
    FloatMatrix w = TestMatrices.gaussian(n, m, 1000L * n + m);
    int k = Math.min(n, m);
    for (int r : new int[] {1, Math.max(1, k / 3), k}) {
      TruncatedSvd svd = backend().decompose(w, RankTarget.leading(r));
      assertWellFormed(w, svd, r);
    }
  }

  @ParameterizedTest(name = "{0}x{1}")
  @MethodSource("shapes")
  void fullRankReconstructsTheMatrix(int n, int m) {
    FloatMatrix w = TestMatrices.gaussian(n, m, 7L * n + m);
    int k = Math.min(n, m);
    TruncatedSvd svd = backend().decompose(w, RankTarget.leading(k));
    double error = LowRankFactors.truncate(svd, k).residualNorm(w);
    assertTrue(
        error <= 1e-5 * Math.sqrt(w.frobeniusNormSquared()),
        () -> "||W - U S Vt|| / ||W|| = " + error / Math.sqrt(w.frobeniusNormSquared()));
  }

  @Test
  void rankDeficientMatrixIsRecoveredFromItsExactRank() {
    int k = 12;
    FloatMatrix w = TestMatrices.ofRank(180, 140, k, 5);
    for (int r : new int[] {k, k + 8, 60}) {
      TruncatedSvd svd = backend().decompose(w, RankTarget.leading(r));
      assertWellFormed(w, svd, r);
      double error = LowRankFactors.truncate(svd, r).residualNorm(w);
      assertTrue(
          error <= 1e-5 * Math.sqrt(w.frobeniusNormSquared()),
          () -> "rank " + r + " of a rank-" + k + " matrix misses by " + error);
      for (int i = k; i < r; i++) {
        assertTrue(svd.s()[i] <= 1e-5 * svd.s()[0], "s_" + i + " = " + svd.s()[i]);
      }
    }
  }

  @Test
  void zeroMatrixGivesZeroValuesAndOrthonormalVectors() {
    FloatMatrix w = FloatMatrix.zeros(120, 100);
    TruncatedSvd svd = backend().decompose(w, RankTarget.leading(10));
    assertWellFormed(w, svd, 10);
    assertEquals(0f, svd.s()[0]);
    TruncatedSvd energy = backend().decompose(w, RankTarget.energy(0.9));
    assertEquals(1, energy.rankForEnergy(0.9));
  }

  static Stream<Arguments> trainedLikeCases() {
    return Stream.of(
        Arguments.of(768, 768, 128),
        Arguments.of(384, 1536, 128),
        Arguments.of(1536, 384, 128),
        Arguments.of(64, 64, 8),
        Arguments.of(256, 128, 16),
        Arguments.of(512, 1024, 32),
        Arguments.of(1024, 512, 32),
        Arguments.of(1024, 128, 8),
        Arguments.of(320, 320, 16));
  }

  @ParameterizedTest(name = "{0}x{1} rank {2}")
  @MethodSource("trainedLikeCases")
  void rankRErrorIsNearTheEckartYoungOptimum(int n, int m, int r) {
    float[] spectrum =
        TestMatrices.powerLawSpectrum(Math.min(n, m), TestMatrices.TRAINED_LIKE_DECAY);
    FloatMatrix w = TestMatrices.withSpectrum(n, m, spectrum, 31L * n + m);
    TruncatedSvd svd = backend().decompose(w, RankTarget.leading(r));
    assertWellFormed(w, svd, r);
    double optimum = TestMatrices.optimalError(spectrum, r);
    double ratio = LowRankFactors.truncate(svd, r).residualNorm(w) / optimum;
    assertTrue(ratio >= 1 - 1e-4, () -> "beats the optimum: " + ratio);
    assertTrue(ratio <= optimumFactor(), () -> "error / optimum = " + ratio);
    // Singular values of a projection Q^T W never exceed those of W; near the cut they may be
    // underestimated by a few percent.
    for (int i = 0; i < r; i++) {
      double relative = svd.s()[i] / spectrum[i] - 1;
      int index = i;
      assertTrue(relative <= 1e-4 && relative >= -0.05, () -> "s_" + index + " off by " + relative);
    }
  }

  static Stream<Arguments> energyCases() {
    return Stream.of(
        Arguments.of(300, 300, 0.7),
        Arguments.of(160, 480, 0.7),
        Arguments.of(480, 160, 1.0),
        Arguments.of(256, 256, 1.5),
        Arguments.of(60, 40, 0.7),
        Arguments.of(1, 50, 0.7));
  }

  @ParameterizedTest(name = "{0}x{1} decay {2}")
  @MethodSource("energyCases")
  void energyTargetRankCapturesTheFractionWithNoFewerTripletsThanExact(int n, int m, double decay) {
    float[] spectrum = TestMatrices.powerLawSpectrum(Math.min(n, m), decay);
    FloatMatrix w = TestMatrices.withSpectrum(n, m, spectrum, 17L * n + m);
    TruncatedSvd reference = SvdBackends.exact().decompose(w, RankTarget.leading(1));
    double total = w.frobeniusNormSquared();
    for (double fraction : new double[] {0.3, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0}) {
      TruncatedSvd svd = backend().decompose(w, RankTarget.energy(fraction));
      int r = svd.rankForEnergy(fraction);
      assertWellFormed(w, svd, r);
      int exactRank = reference.rankForEnergy(fraction);
      assertTrue(r >= exactRank, () -> "rank " + r + " < exact rank " + exactRank);
      assertTrue(
          r <= exactRank + Math.max(2, exactRank / 25),
          () -> "rank " + r + " for fraction " + fraction + ", exact rank " + exactRank);
      double residual = LowRankFactors.truncate(svd, r).residualNorm(w);
      double captured = 1 - residual * residual / total;
      assertTrue(
          captured >= fraction - 1e-5,
          () -> "rank " + r + " captures " + captured + " < " + fraction);
    }
  }

  @Test
  void rankAboveMinDimensionIsRejected() {
    FloatMatrix w = TestMatrices.gaussian(5, 8, 1);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> backend().decompose(w, RankTarget.leading(6)));
    assertTrue(e.getMessage().contains("exceeds min(n, m) = 5"), e.getMessage());
  }

  @Test
  void emptyMatricesAreRejected() {
    for (FloatMatrix w :
        new FloatMatrix[] {
          FloatMatrix.zeros(0, 4), FloatMatrix.zeros(4, 0), FloatMatrix.zeros(0, 0)
        }) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> backend().decompose(w, RankTarget.energy(0.5)));
      assertTrue(e.getMessage().contains("empty"), e.getMessage());
      assertThrows(
          IllegalArgumentException.class, () -> backend().decompose(w, RankTarget.leading(1)));
    }
  }

  @Test
  void nonFiniteValuesAreRejected() {
    float[] data = TestMatrices.gaussian(6, 6, 2).data();
    data[7] = Float.NaN;
    FloatMatrix w = FloatMatrix.wrap(6, 6, data);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> backend().decompose(w, RankTarget.leading(2)));
    assertTrue(e.getMessage().contains("NaN"), e.getMessage());
  }

  @Property(tries = 40, seed = "20240611")
  void anyShapeAndRankGivesAWellFormedNearOptimalSvd(
      @ForAll @IntRange(min = 1, max = 160) int n,
      @ForAll @IntRange(min = 1, max = 160) int m,
      @ForAll @IntRange(min = 1, max = 160) int rankSeed) {
    int k = Math.min(n, m);
    int r = 1 + rankSeed % k;
    float[] spectrum = TestMatrices.powerLawSpectrum(k, TestMatrices.TRAINED_LIKE_DECAY);
    FloatMatrix w = TestMatrices.withSpectrum(n, m, spectrum, rankSeed);
    TruncatedSvd svd = backend().decompose(w, RankTarget.leading(r));
    assertWellFormed(w, svd, r);
    double optimum = TestMatrices.optimalError(spectrum, r);
    double error = LowRankFactors.truncate(svd, r).residualNorm(w);
    // At full rank the optimum is 0 and the float32 round-off of W itself is what remains.
    double slack = 1e-5 * Math.sqrt(w.frobeniusNormSquared());
    assertTrue(
        error <= optimumFactor() * optimum + slack,
        () -> n + "x" + m + " rank " + r + ": error " + error + ", optimum " + optimum);
  }

  @Property(tries = 25, seed = "20240612")
  void anyShapeAndFractionGivesEnoughEnergy(
      @ForAll @IntRange(min = 1, max = 160) int n,
      @ForAll @IntRange(min = 1, max = 160) int m,
      @ForAll @IntRange(min = 1, max = 99) int percent) {
    double fraction = percent / 100.0;
    FloatMatrix w = TestMatrices.trainedLike(n, m, 1000L * percent + n);
    TruncatedSvd svd = backend().decompose(w, RankTarget.energy(fraction));
    int r = svd.rankForEnergy(fraction);
    assertWellFormed(w, svd, r);
    int exactRank = SvdBackends.exact().decompose(w, RankTarget.leading(1)).rankForEnergy(fraction);
    assertTrue(r >= exactRank, () -> "rank " + r + " < exact rank " + exactRank);
    double residual = LowRankFactors.truncate(svd, r).residualNorm(w);
    double total = w.frobeniusNormSquared();
    assertTrue(1 - residual * residual / total >= fraction - 1e-5, () -> "rank " + r);
  }

  /**
   * Checks the shapes, that {@code U} has orthonormal columns and {@code Vt} orthonormal rows, that
   * {@code s} is descending and non-negative, and that at least {@code r} triplets are held.
   */
  static void assertWellFormed(FloatMatrix w, TruncatedSvd svd, int r) {
    int k = svd.size();
    assertTrue(k >= r, () -> k + " triplets, asked for " + r);
    assertTrue(k <= Math.min(w.rows(), w.cols()), () -> k + " triplets for " + w.shape());
    assertEquals(w.rows(), svd.u().rows(), "rows of U");
    assertEquals(w.cols(), svd.vt().cols(), "columns of Vt");
    assertEquals(
        w.frobeniusNormSquared(),
        svd.frobeniusNormSquared(),
        1e-9 * (1 + svd.frobeniusNormSquared()));
    float[] s = svd.s();
    for (int i = 0; i < k; i++) {
      assertTrue(s[i] >= 0, "s_" + i + " = " + s[i]);
      if (i > 0) {
        assertTrue(s[i] <= s[i - 1], "s not descending at " + i);
      }
    }
    assertOrthonormalColumns(svd.u(), "U");
    assertOrthonormalColumns(transpose(svd.vt()), "V");
    assertTrue(!svd.method().isEmpty(), "method is named");
  }

  static void assertOrthonormalColumns(FloatMatrix a, String name) {
    FloatMatrix gram = transpose(a).times(a);
    double worst = 0;
    for (int i = 0; i < gram.rows(); i++) {
      for (int j = 0; j < gram.cols(); j++) {
        worst = Math.max(worst, Math.abs(gram.get(i, j) - (i == j ? 1 : 0)));
      }
    }
    double deviation = worst;
    assertTrue(
        deviation <= ORTHONORMALITY,
        () -> name + "^T " + name + " deviates from I by " + deviation);
  }

  static FloatMatrix transpose(FloatMatrix a) {
    float[] out = new float[a.data().length];
    for (int i = 0; i < a.rows(); i++) {
      for (int j = 0; j < a.cols(); j++) {
        out[j * a.rows() + i] = a.get(i, j);
      }
    }
    return FloatMatrix.wrap(a.cols(), a.rows(), out);
  }
}
