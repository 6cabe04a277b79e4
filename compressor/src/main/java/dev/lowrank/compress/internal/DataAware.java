package dev.lowrank.compress.internal;

import dev.lowrank.compress.DataFit;
import dev.lowrank.compress.TruncationMethod;
import dev.lowrank.format.Layer;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.linalg.SvdBackends;
import dev.lowrank.linalg.TruncatedSvd;
import dev.lowrank.linalg.Whitening;
import dev.lowrank.linalg.internal.Blas;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The data-aware side of one compression: each layer's scaled matrix (the whitened {@code W C}, or
 * {@code W diag(s^alpha)}), the whitening factors (computed once per group of layers that share an
 * input and dropped when the group's last layer is done), and the data-weighted errors of the
 * factors.
 */
final class DataAware {

  /**
   * Optimum errors are computed from exact singular values of {@code W C} when the SVD that ran did
   * not give them all and the smaller side is at most this (a few tens of milliseconds); larger
   * layers report it only after an exact SVD.
   */
  static final int OPTIMUM_SIDE_LIMIT = 512;

  private final CalibrationStatistics stats;
  private final TruncationMethod method;
  private final double alpha;
  private final Map<String, Whitening> whitenings = new HashMap<>();
  private final Map<String, Object> locks = new HashMap<>();
  private final Map<String, Integer> uses = new HashMap<>();

  /**
   * A layer's weight prepared for a data-aware truncation.
   *
   * @param layer the layer
   * @param weight {@code W}
   * @param scaled the matrix whose truncated SVD gives the factors ({@code W} itself for plain)
   * @param whitened {@code W C} when the layer has a Gram matrix (for the data-weighted errors)
   * @param whitening {@code C}, when the layer has a Gram matrix
   * @param sharedWith the layer whose statistics it shares
   */
  record Prepared(
      Layer layer,
      FloatMatrix weight,
      FloatMatrix scaled,
      Optional<FloatMatrix> whitened,
      Optional<Whitening> whitening,
      Optional<String> sharedWith) {}

  DataAware(CalibrationStatistics stats, TruncationMethod method, double alpha) {
    this.stats = stats;
    this.method = method;
    this.alpha = alpha;
  }

  CalibrationStatistics statistics() {
    return stats;
  }

  TruncationMethod method() {
    return method;
  }

  /** Notes that a layer will be prepared, so that its group's factor lives until it is done. */
  synchronized void expect(String layer) {
    stats.group(layer).ifPresent(g -> uses.merge(g.leader(), 1, Integer::sum));
  }

  /**
   * Prepares a layer, or returns empty when the data never reached it or its output on the data is
   * zero (then it is truncated as without data).
   */
  Optional<Prepared> prepare(Layer layer, FloatMatrix w) {
    Optional<CalibrationStatistics.Group> group = stats.group(layer.name());
    if (group.isEmpty()) {
      return Optional.empty();
    }
    Optional<Whitening> c =
        group.get().stats().hasGram() ? Optional.of(whitening(group.get())) : Optional.empty();
    Optional<FloatMatrix> wc = c.map(x -> x.apply(w));
    if (wc.isPresent() && wc.get().frobeniusNormSquared() == 0) {
      return Optional.empty();
    }
    FloatMatrix scaled =
        switch (method) {
          case WHITENED -> wc.orElseThrow();
          case ACTIVATION -> scaleColumns(w, group.get().stats().meanAbsolute(), alpha);
          case PLAIN -> w;
        };
    if (scaled.frobeniusNormSquared() == 0) {
      return Optional.empty();
    }
    return Optional.of(new Prepared(layer, w, scaled, wc, c, stats.sharedWith(layer.name())));
  }

  /** Marks a prepared layer done; the last layer of a group frees the group's factor. */
  void done(Layer layer) {
    stats
        .group(layer.name())
        .ifPresent(
            g -> {
              synchronized (this) {
                int left = uses.merge(g.leader(), -1, Integer::sum);
                if (left <= 0) {
                  whitenings.remove(g.leader());
                  uses.remove(g.leader());
                }
              }
            });
  }

  private Whitening whitening(CalibrationStatistics.Group g) {
    Object lock;
    synchronized (this) {
      Whitening known = whitenings.get(g.leader());
      if (known != null) {
        return known;
      }
      lock = locks.computeIfAbsent(g.leader(), k -> new Object());
    }
    synchronized (lock) {
      synchronized (this) {
        Whitening known = whitenings.get(g.leader());
        if (known != null) {
          return known;
        }
      }
      Whitening c = Whitening.of(g.stats().meanGram());
      synchronized (this) {
        if (uses.getOrDefault(g.leader(), 0) > 0) {
          whitenings.put(g.leader(), c);
        }
      }
      return c;
    }
  }

  /** {@code W diag(s^alpha)}; inputs that are always zero get a zero column. */
  static FloatMatrix scaleColumns(FloatMatrix w, double[] meanAbs, double alpha) {
    float[] d = new float[meanAbs.length];
    for (int j = 0; j < d.length; j++) {
      d[j] = (float) Math.pow(meanAbs[j], alpha);
    }
    float[] out = w.data().clone();
    int m = w.cols();
    for (int i = 0; i < w.rows(); i++) {
      for (int j = 0; j < m; j++) {
        out[i * m + j] *= d[j];
      }
    }
    return FloatMatrix.wrap(w.rows(), m, out);
  }

  /**
   * Measures how factors fit the data.
   *
   * @param p the prepared layer
   * @param factors the factors written
   * @param svd the truncated SVD of the scaled matrix that gave them (for the whitened optimum)
   * @param factorsMethod the method that produced the factors
   * @return the figures
   */
  DataFit fit(
      Prepared p, LowRankFactors factors, TruncatedSvd svd, TruncationMethod factorsMethod) {
    double energyKept = Double.NaN;
    double error = Double.NaN;
    double optimum = Double.NaN;
    if (p.whitened().isPresent()) {
      FloatMatrix wc = p.whitened().get();
      double total = wc.frobeniusNormSquared();
      FloatMatrix ac = p.whitening().get().apply(factors.a());
      FloatMatrix kept = Blas.gemm(1f, factors.b(), false, ac, false, 0f, null);
      energyKept = kept.frobeniusNormSquared() / total;
      error = wc.distance(kept) / Math.sqrt(total);
      optimum = optimum(p, svd, factors.rank(), factorsMethod, total);
    } else if (factorsMethod == TruncationMethod.ACTIVATION) {
      energyKept = svd.energy(factors.rank()) / svd.frobeniusNormSquared();
    }
    return new DataFit(
        factorsMethod,
        energyKept,
        error,
        optimum,
        p.sharedWith(),
        p.whitening().map(Whitening::describe),
        false);
  }

  /**
   * Measures on the data a layer's approximation that no data-aware truncation produced (a
   * convolution's spatial-form factors, by their channel form): its energy kept and error, with no
   * optimum (that of {@code W C} is the channel form's, which other forms need not reach).
   *
   * @param p the prepared layer
   * @param product the approximation of {@code p.weight()}, in the same (channel) form
   * @return the figures, as from {@link TruncationMethod#PLAIN}; {@code NaN} without a Gram matrix
   */
  DataFit measure(Prepared p, FloatMatrix product) {
    double energyKept = Double.NaN;
    double error = Double.NaN;
    if (p.whitened().isPresent()) {
      FloatMatrix wc = p.whitened().get();
      double total = wc.frobeniusNormSquared();
      FloatMatrix kept = p.whitening().get().apply(product);
      energyKept = kept.frobeniusNormSquared() / total;
      error = wc.distance(kept) / Math.sqrt(total);
    }
    return new DataFit(
        TruncationMethod.PLAIN,
        energyKept,
        error,
        Double.NaN,
        p.sharedWith(),
        p.whitening().map(Whitening::describe),
        false);
  }

  private static double optimum(
      Prepared p, TruncatedSvd svd, int r, TruncationMethod factorsMethod, double total) {
    FloatMatrix wc = p.whitened().get();
    int k = Math.min(wc.rows(), wc.cols());
    float[] s;
    if (factorsMethod == TruncationMethod.WHITENED && svd.size() == k) {
      s = svd.s();
    } else if (k <= OPTIMUM_SIDE_LIMIT) {
      s = SvdBackends.singularValues(wc);
    } else {
      return Double.NaN;
    }
    return Math.sqrt(tail(s, r, total) / total);
  }

  /** {@code sum_{i >= r} s_i^2}, from all singular values (their total is more exact). */
  static double tail(float[] s, int r, double total) {
    double head = 0;
    for (int i = 0; i < Math.min(r, s.length); i++) {
      head += (double) s[i] * s[i];
    }
    double rest = 0;
    for (int i = r; i < s.length; i++) {
      rest += (double) s[i] * s[i];
    }
    // Both sums, to stay accurate when the tail is a tiny share of the total.
    return Math.max(0, Math.min(rest, total - head));
  }
}
