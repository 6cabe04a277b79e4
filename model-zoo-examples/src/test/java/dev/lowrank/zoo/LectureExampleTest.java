package dev.lowrank.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.LayerResult;
import org.junit.jupiter.api.Test;

class LectureExampleTest {

  @Test
  void aRankTwoTenByTenLayerBecomesFortyWeightsWithTheSameOutput() throws Exception {
    LectureExample.Result r = LectureExample.run(2024);
    assertEquals(100, r.w().rows() * r.w().cols());
    assertEquals(10, r.b().rows());
    assertEquals(2, r.b().cols());
    assertEquals(2, r.a().rows());
    assertEquals(10, r.a().cols());
    LayerResult layer = r.compression().layers().get(0);
    assertEquals(2, layer.rank().getAsInt());
    assertEquals(100 + 10, layer.parametersBefore());
    assertEquals(40 + 10, layer.parametersAfter());
    assertTrue(r.maxDifference() < 1e-5 * r.outputScale(), "y' = y: " + r.maxDifference());
    // B A reproduces W: W has rank 2, so the rank-2 truncation is exact.
    assertTrue(r.w().distance(r.b().times(r.a())) < 1e-5 * Math.sqrt(r.w().frobeniusNormSquared()));
    assertTrue(layer.relativeError() < 1e-6);
    assertEquals(1.0, layer.energyKept(), 1e-6);
  }
}
