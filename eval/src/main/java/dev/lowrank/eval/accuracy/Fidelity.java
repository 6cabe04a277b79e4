package dev.lowrank.eval.accuracy;

/**
 * How closely a compressed model reproduces the original's outputs, labels or not.
 *
 * @param samples the number of samples compared
 * @param top1Agreements samples on which both models predict the same class
 * @param relativeL2Error {@code ||Y_c - Y_o||_F / ||Y_o||_F} over all samples' output scores
 *     (logits as the models return them), 0 for identical outputs
 */
public record Fidelity(int samples, int top1Agreements, double relativeL2Error) {

  /**
   * Returns the share of samples on which both models predict the same class.
   *
   * @return the top-1 agreement, in [0, 1]
   */
  public double top1Agreement() {
    return (double) top1Agreements / samples;
  }

  /**
   * Compares two models' predictions on the same samples.
   *
   * @param original the original model's scores
   * @param compressed the compressed model's scores
   * @return the fidelity
   * @throws IllegalArgumentException if the predictions differ in size
   */
  public static Fidelity of(Predictions original, Predictions compressed) {
    if (original.samples() != compressed.samples() || original.width() != compressed.width()) {
      throw new IllegalArgumentException(
          "The models' outputs differ in shape: "
              + original.samples()
              + "x"
              + original.width()
              + " and "
              + compressed.samples()
              + "x"
              + compressed.width());
    }
    int agree = 0;
    double num = 0;
    double den = 0;
    for (int i = 0; i < original.samples(); i++) {
      if (original.argmax(i) == compressed.argmax(i)) {
        agree++;
      }
      for (int k = 0; k < original.width(); k++) {
        double o = original.score(i, k);
        double d = compressed.score(i, k) - o;
        num += d * d;
        den += o * o;
      }
    }
    double error = den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    return new Fidelity(original.samples(), agree, error);
  }
}
