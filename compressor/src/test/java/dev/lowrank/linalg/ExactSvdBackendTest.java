package dev.lowrank.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ExactSvdBackendTest extends SvdBackendContract {

  @Override
  SvdBackend backend() {
    return SvdBackends.exact();
  }

  @Override
  double optimumFactor() {
    return 1 + 1e-4;
  }

  @Test
  void holdsEveryTripletAndNamesItselfExact() {
    FloatMatrix w = TestMatrices.gaussian(30, 70, 3);
    TruncatedSvd svd = backend().decompose(w, RankTarget.leading(4));
    assertEquals(30, svd.size());
    assertEquals("exact", svd.method());
    assertEquals("exact", backend().name());
  }

  @Test
  void tallAndWideLayoutsGiveTheSameValues() {
    FloatMatrix w = TestMatrices.gaussian(90, 40, 4);
    float[] tall = backend().decompose(w, RankTarget.leading(1)).s();
    float[] wide = backend().decompose(transpose(w), RankTarget.leading(1)).s();
    for (int i = 0; i < tall.length; i++) {
      assertEquals(tall[i], wide[i], 1e-5 * tall[0]);
    }
  }
}
