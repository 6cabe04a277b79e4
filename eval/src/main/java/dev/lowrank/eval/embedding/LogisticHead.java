package dev.lowrank.eval.embedding;

/**
 * A multinomial logistic regression on embeddings, the classification head a user of a sentence
 * encoder fits: fitted once (on the original model's embeddings of a training split) and applied
 * unchanged to any model's embeddings of a test split, so that the accuracy drop measures what the
 * compressed encoder lost.
 *
 * <p>Fitting is deterministic: features are centered by the training mean and scaled to a mean
 * squared norm of 1, then full-batch gradient descent with Nesterov momentum minimizes the mean
 * cross-entropy plus {@code lambda/2 ||W||^2} from zero weights.
 */
public final class LogisticHead {

  private static final int ITERATIONS = 400;
  private static final double LAMBDA = 1e-4;
  private static final double MOMENTUM = 0.9;

  private final int classes;
  private final int dimension;
  private final double[] mean;
  private final double scale;
  private final double[] weights;

  private LogisticHead(int classes, int dimension, double[] mean, double scale, double[] weights) {
    this.classes = classes;
    this.dimension = dimension;
    this.mean = mean;
    this.scale = scale;
    this.weights = weights;
  }

  /**
   * Fits a head.
   *
   * @param train the training embeddings
   * @param labels one class index per embedding
   * @param classes the number of classes, at least 2
   * @return the fitted head
   */
  public static LogisticHead fit(Embeddings train, int[] labels, int classes) {
    int n = train.size();
    int d = train.dimension();
    if (labels.length != n || classes < 2) {
      throw new IllegalArgumentException(
          "Fit needs one label per embedding and at least 2 classes");
    }
    double[] mean = new double[d];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < d; k++) {
        mean[k] += train.get(i, k);
      }
    }
    for (int k = 0; k < d; k++) {
      mean[k] /= n;
    }
    double sq = 0;
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < d; k++) {
        double x = train.get(i, k) - mean[k];
        sq += x * x;
      }
    }
    double scale = sq == 0 ? 1 : 1 / Math.sqrt(sq / n);
    double[][] x = new double[n][d + 1];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < d; k++) {
        x[i][k] = (train.get(i, k) - mean[k]) * scale;
      }
      x[i][d] = 1;
    }
    int width = d + 1;
    double[] w = new double[classes * width];
    double[] velocity = new double[w.length];
    double[] look = new double[w.length];
    double[] grad = new double[w.length];
    // The cross-entropy's gradient is Lipschitz with constant <= 0.5 * mean ||x||^2 = 1 (+ bias).
    double step = 1.0;
    double[] p = new double[classes];
    for (int it = 0; it < ITERATIONS; it++) {
      for (int j = 0; j < w.length; j++) {
        look[j] = w[j] + MOMENTUM * velocity[j];
      }
      java.util.Arrays.fill(grad, 0);
      for (int i = 0; i < n; i++) {
        softmax(look, x[i], classes, width, p);
        for (int c = 0; c < classes; c++) {
          double g = (p[c] - (labels[i] == c ? 1 : 0)) / n;
          int base = c * width;
          for (int k = 0; k < width; k++) {
            grad[base + k] += g * x[i][k];
          }
        }
      }
      for (int j = 0; j < w.length; j++) {
        boolean bias = j % width == d;
        double g = grad[j] + (bias ? 0 : LAMBDA * look[j]);
        velocity[j] = MOMENTUM * velocity[j] - step * g;
        w[j] += velocity[j];
      }
    }
    return new LogisticHead(classes, d, mean, scale, w);
  }

  private static void softmax(double[] w, double[] x, int classes, int width, double[] out) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      double z = 0;
      int base = c * width;
      for (int k = 0; k < width; k++) {
        z += w[base + k] * x[k];
      }
      out[c] = z;
      max = Math.max(max, z);
    }
    double sum = 0;
    for (int c = 0; c < classes; c++) {
      out[c] = Math.exp(out[c] - max);
      sum += out[c];
    }
    for (int c = 0; c < classes; c++) {
      out[c] /= sum;
    }
  }

  /**
   * Predicts the class of each embedding.
   *
   * @param embeddings embeddings of the width the head was fitted on
   * @return one class index per embedding
   */
  public int[] predict(Embeddings embeddings) {
    if (embeddings.dimension() != dimension) {
      throw new IllegalArgumentException(
          "The head was fitted on width " + dimension + ", got " + embeddings.dimension());
    }
    int width = dimension + 1;
    double[] x = new double[width];
    double[] p = new double[classes];
    int[] out = new int[embeddings.size()];
    for (int i = 0; i < out.length; i++) {
      for (int k = 0; k < dimension; k++) {
        x[k] = (embeddings.get(i, k) - mean[k]) * scale;
      }
      x[dimension] = 1;
      softmax(weights, x, classes, width, p);
      int best = 0;
      for (int c = 1; c < classes; c++) {
        if (p[c] > p[best]) {
          best = c;
        }
      }
      out[i] = best;
    }
    return out;
  }

  /**
   * Returns the share of embeddings whose predicted class is their label.
   *
   * @param embeddings the test embeddings
   * @param labels their labels
   * @return the accuracy, in [0, 1]
   */
  public double accuracy(Embeddings embeddings, int[] labels) {
    int[] predicted = predict(embeddings);
    if (labels.length != predicted.length) {
      throw new IllegalArgumentException(
          predicted.length + " embeddings but " + labels.length + " labels");
    }
    int right = 0;
    for (int i = 0; i < labels.length; i++) {
      if (predicted[i] == labels[i]) {
        right++;
      }
    }
    return (double) right / labels.length;
  }
}
