package dev.lowrank.eval.accuracy;

import java.util.OptionalDouble;

/**
 * How closely a compressed model reproduces the original's outputs, labels or not.
 *
 * @param samples the number of samples compared
 * @param top1Agreements samples on which both models predict the same class
 * @param relativeL2Error {@code ||Y_c - Y_o||_F / ||Y_o||_F} over all samples' output scores
 *     (logits as the models return them), 0 for identical outputs
 * @param meanCosine the mean over samples of the cosine between the two models' output rows (for a
 *     text encoder pooled into sentence embeddings, the embedding cosine to the original); empty
 *     when not computed
 * @param minCosine the smallest per-sample cosine, empty when not computed
 */
public record Fidelity(
    int samples,
    int top1Agreements,
    double relativeL2Error,
    OptionalDouble meanCosine,
    OptionalDouble minCosine) {

  /**
   * Creates a fidelity without cosines.
   *
   * @param samples the number of samples compared
   * @param top1Agreements samples on which both models predict the same class
   * @param relativeL2Error the relative error of the outputs
   */
  public Fidelity(int samples, int top1Agreements, double relativeL2Error) {
    this(samples, top1Agreements, relativeL2Error, OptionalDouble.empty(), OptionalDouble.empty());
  }

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
   * @return the fidelity, with the per-sample cosines summarized
   * @throws IllegalArgumentException if the predictions differ in size
   */
  public static Fidelity of(Predictions original, Predictions compressed) {
    double[] cosines = cosines(original, compressed);
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
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    for (double c : cosines) {
      sum += c;
      min = Math.min(min, c);
    }
    return new Fidelity(
        original.samples(),
        agree,
        error,
        OptionalDouble.of(sum / cosines.length),
        OptionalDouble.of(min));
  }

  /**
   * Returns the cosine between the two models' output rows, per sample (1 where both rows are zero,
   * 0 where one is).
   *
   * @param original the original model's scores (or embeddings)
   * @param compressed the compressed model's
   * @return one cosine per sample
   * @throws IllegalArgumentException if the predictions differ in size
   */
  public static double[] cosines(Predictions original, Predictions compressed) {
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
    double[] out = new double[original.samples()];
    for (int i = 0; i < out.length; i++) {
      double dot = 0;
      double no = 0;
      double nc = 0;
      for (int k = 0; k < original.width(); k++) {
        double o = original.score(i, k);
        double c = compressed.score(i, k);
        dot += o * c;
        no += o * o;
        nc += c * c;
      }
      if (no == 0 && nc == 0) {
        out[i] = 1;
      } else if (no == 0 || nc == 0) {
        out[i] = 0;
      } else {
        out[i] = dot / Math.sqrt(no * nc);
      }
    }
    return out;
  }
}
