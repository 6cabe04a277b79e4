package dev.lowrank.compress.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FactorStoreTest {

  private static LowRankFactors random(Random rnd, int n, int m, int r) {
    float[] a = new float[r * m];
    float[] b = new float[n * r];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) rnd.nextGaussian();
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) rnd.nextGaussian();
    }
    return new LowRankFactors(FloatMatrix.wrap(r, m, a), FloatMatrix.wrap(n, r, b));
  }

  @Test
  void factorsBeyondTheBudgetGoToDiskAndComeBackIdentical() {
    Random rnd = new Random(1);
    LowRankFactors small = random(rnd, 5, 7, 2);
    LowRankFactors big = random(rnd, 300, 200, 17);
    try (FactorStore store = new FactorStore(4 * small.parameters())) {
      store.put("big", big);
      store.put("small", small);
      Map<String, LowRankFactors> view = store.view(List.of("small", "none", "big"));
      assertEquals(List.of("small", "big"), List.copyOf(view.keySet()));
      assertArrayEquals(big.a().data(), view.get("big").a().data());
      assertArrayEquals(big.b().data(), view.get("big").b().data());
      assertEquals(17, view.get("big").rank());
      assertEquals(small, view.get("small"));
      assertNull(view.get("none"));
    }
  }
}
