package dev.lowrank.finetune.internal;

import ai.djl.ndarray.NDArray;
import dev.lowrank.finetune.FinetuneLoss;

/**
 * The fine-tuning losses on rows ({@code [batch, width]}, see {@link Outputs}), each the mean over
 * the batch, built from differentiable array operations.
 */
final class Losses {

  private static final float EPS = 1e-8f;

  private Losses() {}

  /**
   * Computes a loss.
   *
   * @param loss which one
   * @param temperature the softmax temperature of {@link FinetuneLoss#KL}
   * @param student the student's rows
   * @param target the teacher's rows (distillation) or the one-hot labels (cross-entropy), of the
   *     same shape, without gradient
   * @return a scalar
   */
  static NDArray of(FinetuneLoss loss, float temperature, NDArray student, NDArray target) {
    switch (loss) {
      case KL:
        // T^2 sum p_t (log p_t - log p_s) on softmax(z / T) (Hinton et al. 2015): the T^2 keeps
        // the gradients' scale whatever T; the teacher's terms are constants, kept so that the
        // value is the divergence itself (0 for a perfect student).
        NDArray logTeacher = target.div(temperature).logSoftmax(1);
        NDArray logStudent = student.div(temperature).logSoftmax(1);
        return logTeacher
            .exp()
            .mul(logTeacher.sub(logStudent))
            .sum(new int[] {1})
            .mean()
            .mul(temperature * temperature);
      case CROSS_ENTROPY:
        return student.logSoftmax(1).mul(target).sum(new int[] {1}).mean().neg();
      case COSINE:
        return cosine(student, target).mean().neg().add(1f);
      case MSE:
        return student.sub(target).square().mean();
      default:
        throw new IllegalArgumentException("Unknown loss " + loss);
    }
  }

  /** The cosine similarity of each row pair. */
  static NDArray cosine(NDArray a, NDArray b) {
    NDArray dot = a.mul(b).sum(new int[] {1});
    // sqrt(sum x^2 + eps) rather than the norm: its gradient stays finite at a zero row.
    NDArray na = a.square().sum(new int[] {1}).add(EPS).sqrt();
    NDArray nb = b.square().sum(new int[] {1}).add(EPS).sqrt();
    return dot.div(na.mul(nb));
  }
}
