package dev.lowrank.linalg.internal;

import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.RandomizedSettings;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackend;
import dev.lowrank.linalg.TruncatedSvd;

/**
 * Picks the exact or the randomized SVD per matrix, from its shape and the target; the result's
 * {@link TruncatedSvd#method()} names the one that ran.
 *
 * <p>The rule, from the crossover measured in {@code docs/linalg.md} (randomized over exact CPU
 * time on trained-like matrices): matrices with {@code min(n, m) < 96} go to the exact SVD (LAPACK
 * on a small matrix is faster than the randomized passes). A fixed rank {@code r} goes to the
 * randomized SVD when its sketch {@code r + oversampling} is at most half of {@code min(n, m)},
 * where it measured at most about 0.85 of the exact time and usually far less. An energy target
 * goes to the fixed-precision randomized SVD, which hands over to the exact SVD by itself when it
 * predicts that its basis would outgrow half of {@code min(n, m)}.
 *
 * <p>Its randomized backend runs with the accuracy control of {@link
 * RandomizedSettings#maxErrorRatio()} set to {@link #MAX_ERROR_RATIO} ({@link ConvergenceCheck}).
 */
public final class AutoSvd implements SvdBackend {

  /** Matrices with a smaller {@code min(n, m)} always get the exact SVD. */
  public static final int MIN_RANDOMIZED_DIMENSION = 96;

  /** A fixed-rank sketch may take at most this share of {@code min(n, m)}. */
  public static final double MAX_SKETCH_SHARE = 0.5;

  /**
   * The bound on every fixed-rank result's error over the Eckart-Young optimum, {@code ||W - B
   * A||_F / sqrt(sum_{i >= r} s_i^2)}, that the randomized SVD's accuracy control keeps.
   */
  public static final double MAX_ERROR_RATIO = 1.005;

  /** The name of this backend. */
  public static final String NAME = "auto";

  private final LapackExactSvd exact = new LapackExactSvd();
  private final RandomizedSvd randomized;
  private final int oversampling;

  /**
   * Creates the automatic backend.
   *
   * @param seed seed of the randomized backend's test matrices
   * @param settings the randomized backend's tuning
   */
  public AutoSvd(long seed, RandomizedSettings settings) {
    this.randomized = new RandomizedSvd(seed, settings);
    this.oversampling = settings.oversampling();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public TruncatedSvd decompose(FloatMatrix w, RankTarget target) {
    return choose(w, target).decompose(w, target);
  }

  /** Returns the backend the rule picks for {@code w} and {@code target}. */
  SvdBackend choose(FloatMatrix w, RankTarget target) {
    int k = Math.min(w.rows(), w.cols());
    if (k < MIN_RANDOMIZED_DIMENSION) {
      return exact;
    }
    if (target instanceof RankTarget.Leading leading) {
      return leading.rank() + oversampling <= MAX_SKETCH_SHARE * k ? randomized : exact;
    }
    return randomized;
  }
}
