package dev.lowrank.eval.pooling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Mean and CLS pooling against their definitions, on float arrays and on NDArrays alike. */
class PoolingTest {

  @Test
  void meanLeavesPaddingOutAndNormalizes() {
    // Two texts of 3 tokens x 2: the second has one padding token holding garbage.
    float[] states = {1, 0, 3, 0, 2, 0, 0, 1, 0, 3, 100, 100};
    long[] mask = {1, 1, 1, 1, 1, 0};
    float[] e = Pooling.MEAN.pool(states, 2, 3, 2, mask);
    assertArrayEquals(new float[] {1, 0, 0, 1}, e, 1e-7f);
    float[] cls = Pooling.CLS.pool(states, 2, 3, 2, mask);
    assertArrayEquals(new float[] {1, 0, 0, 1}, cls, 1e-7f);
    float[] noMask = Pooling.MEAN.pool(new float[] {3, 4, 3, 4}, 1, 2, 2, null);
    assertArrayEquals(new float[] {0.6f, 0.8f}, noMask, 1e-7f);
    assertEquals(Pooling.CLS, Pooling.parse(" Cls "));
    assertThrows(IllegalArgumentException.class, () -> Pooling.parse("max"));
  }

  @Test
  void ndArrayPoolingEqualsTheArrayPooling() {
    Random r = new Random(7);
    int batch = 3;
    int tokens = 5;
    int hidden = 4;
    float[] states = new float[batch * tokens * hidden];
    for (int i = 0; i < states.length; i++) {
      states[i] = (float) r.nextGaussian();
    }
    long[] mask = {1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray s = m.create(states, new Shape(batch, tokens, hidden));
      NDArray k = m.create(mask, new Shape(batch, tokens));
      for (Pooling p : Pooling.values()) {
        float[] expected = p.pool(states, batch, tokens, hidden, mask);
        assertArrayEquals(expected, p.pool(s, k).toFloatArray(), 1e-6f, p.name());
      }
    }
  }
}
