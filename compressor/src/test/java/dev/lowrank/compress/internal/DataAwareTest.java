package dev.lowrank.compress.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackends;
import dev.lowrank.linalg.TestMatrices;
import dev.lowrank.linalg.TruncatedSvd;
import org.junit.jupiter.api.Test;

/** The scalings of the activation-aware method and the projection the data-aware factors share. */
class DataAwareTest {

  @Test
  void activationScalingMultipliesEachColumnByItsMeanToTheAlpha() {
    FloatMatrix w = FloatMatrix.wrap(2, 3, new float[] {1, 2, 3, 4, 5, 6});
    FloatMatrix s = DataAware.scaleColumns(w, new double[] {4, 0, 9}, 0.5);
    assertArrayEquals(new float[] {2, 0, 9, 8, 0, 18}, s.data(), 1e-6f, "sqrt(4), dead, sqrt(9)");
  }

  @Test
  void uniformScalingGivesThePlainTruncation() {
    FloatMatrix w = TestMatrices.gaussian(20, 30, 5);
    FloatMatrix scaled = DataAware.scaleColumns(w, constant(30, 2.5), 0.5);
    TruncatedSvd plain = SvdBackends.exact().decompose(w, RankTarget.leading(1));
    TruncatedSvd svd = SvdBackends.exact().decompose(scaled, RankTarget.leading(1));
    for (int r : new int[] {1, 7, 19}) {
      FloatMatrix a = LowRankFactors.truncate(plain, r).product();
      FloatMatrix b = LowRankFactors.projected(svd, w, r).product();
      assertEquals(0, a.distance(b), 1e-4 * Math.sqrt(w.frobeniusNormSquared()), "rank " + r);
    }
  }

  private static double[] constant(int n, double v) {
    double[] d = new double[n];
    java.util.Arrays.fill(d, v);
    return d;
  }
}
