package dev.lowrank.finetune.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lowrank.finetune.FinetuneLoss;
import org.junit.jupiter.api.Test;

/** The losses and the pooling against values computed by hand. */
class LossesTest {

  @Test
  void klIsTheDivergenceOfTemperedSoftmaxes() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      float[] s = {1f, 2f, 0.5f};
      float[] t = {0.2f, 1.5f, 2f};
      NDArray student = m.create(s, new Shape(1, 3));
      NDArray teacher = m.create(t, new Shape(1, 3));
      double expected = 0;
      double[] ps = softmax(s, 2);
      double[] pt = softmax(t, 2);
      for (int i = 0; i < 3; i++) {
        expected += pt[i] * Math.log(pt[i] / ps[i]);
      }
      assertEquals(4 * expected, Losses.of(FinetuneLoss.KL, 2f, student, teacher).getFloat(), 1e-5);
      assertEquals(0, Losses.of(FinetuneLoss.KL, 2f, teacher, teacher).getFloat(), 1e-6);
    }
  }

  @Test
  void crossEntropyCosineAndMse() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray a = m.create(new float[] {1f, 0f, 3f, 4f}, new Shape(2, 2));
      NDArray b = m.create(new float[] {0f, 1f, 3f, 4f}, new Shape(2, 2));
      // cos: 0 for the first pair, 1 for the second: 1 - mean = 0.5
      assertEquals(0.5, Losses.of(FinetuneLoss.COSINE, 1f, a, b).getFloat(), 1e-5);
      assertEquals(0.5, Losses.of(FinetuneLoss.MSE, 1f, a, b).getFloat(), 1e-6);
      NDArray oneHot = m.create(new float[] {0f, 1f, 1f, 0f}, new Shape(2, 2));
      double[] p0 = softmax(new float[] {1f, 0f}, 1);
      double[] p1 = softmax(new float[] {3f, 4f}, 1);
      double ce = -(Math.log(p0[1]) + Math.log(p1[0])) / 2;
      assertEquals(ce, Losses.of(FinetuneLoss.CROSS_ENTROPY, 1f, a, oneHot).getFloat(), 1e-5);
    }
  }

  @Test
  void perTokenOutputsArePooledOverTheAttentionMask() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      // [2 samples, 3 tokens, 2 wide]
      NDArray out =
          m.create(
              new float[] {1, 2, 3, 4, 100, 100, 5, 6, 100, 100, 100, 100}, new Shape(2, 3, 2));
      NDArray mask = m.create(new long[] {1, 1, 0, 1, 0, 0}, new Shape(2, 3));
      mask.setName(Outputs.ATTENTION_MASK);
      NDArray ids = m.create(new long[] {7, 8, 0, 9, 0, 0}, new Shape(2, 3));
      ids.setName("input_ids");
      NDArray pooled = Outputs.rows(new NDList(out), new NDList(ids, mask));
      assertArrayEquals(new float[] {2, 3, 5, 6}, pooled.toFloatArray(), 1e-6f);
      NDArray plain = Outputs.rows(new NDList(out), new NDList(ids));
      assertArrayEquals(
          new float[] {104f / 3, 106f / 3, 205f / 3, 206f / 3}, plain.toFloatArray(), 1e-4f);
      NDArray classes = m.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
      assertEquals(new Shape(2, 2), Outputs.rows(new NDList(classes), new NDList()).getShape());
    }
  }

  private static double[] softmax(float[] z, double t) {
    double sum = 0;
    double[] p = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      p[i] = Math.exp(z[i] / t);
      sum += p[i];
    }
    for (int i = 0; i < z.length; i++) {
      p[i] /= sum;
    }
    return p;
  }
}
