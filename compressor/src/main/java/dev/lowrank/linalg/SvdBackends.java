package dev.lowrank.linalg;

import dev.lowrank.linalg.internal.AutoSvd;
import dev.lowrank.linalg.internal.BlasCoordinator;
import dev.lowrank.linalg.internal.LapackExactSvd;
import dev.lowrank.linalg.internal.RandomizedSvd;

/**
 * The factory of {@link SvdBackend}s: callers ask for a method by name and never name an
 * implementation class.
 *
 * <p>Every backend is stateless and thread-safe, and a randomized one gives the same result for the
 * same seed and matrix whatever the order or thread of the calls.
 *
 * <p><b>Threads.</b> All backends run on one process-wide OpenBLAS, which {@link BlasThreads}
 * shares among concurrent users. Code that factorizes {@code P} matrices at once on a pool takes a
 * {@link BlasThreads#lease(int) lease} for {@code P} workers around that work, so that each call
 * runs with {@link #blasThreadsFor blasThreadsFor(P)} {@code = max(1, C / P)} threads on {@code C}
 * cores: {@code P} concurrent calls with {@code C} threads each oversubscribe the cores, and
 * OpenBLAS threads spin while they wait (measured on two cores: a BERT-base layer's six exact SVDs
 * took 0.41 s with two workers of one thread, 0.68 s one at a time with two threads, 1.53 s with
 * two workers of two threads). See {@code docs/linalg.md}.
 */
public final class SvdBackends {

  private SvdBackends() {}

  /**
   * Returns the exact backend: LAPACK {@code sgesdd} on the whole matrix; results hold all {@code
   * min(n, m)} triplets and are named {@code "exact"}.
   *
   * @return the exact backend
   */
  public static SvdBackend exact() {
    return new LapackExactSvd();
  }

  /**
   * Returns the randomized backend: the randomized SVD of Halko, Martinsson and Tropp for a fixed
   * rank (results named {@code "randomized"}, holding exactly the rank asked for), and the blocked
   * fixed-precision randQB of Yu, Gu and Li for an energy fraction (named {@code
   * "randomized-fixed-precision"}, or {@code "exact-fallback"} when the basis would outgrow half of
   * {@code min(n, m)}, which it predicts from the third block on, or the fraction is within 1e-5 of
   * 1).
   *
   * <p>Defaults: oversampling 32, 7 passes over the matrix (HMT power iterations q = 2.5), blocks
   * of 32 with 3 power iterations for energy targets; see {@code docs/linalg.md}. There is no
   * accuracy control: the cost is fixed, and the rank-r error is within 1.0035x of the Eckart-Young
   * optimum on trained-like spectra but up to about 1.02x on flat ones (PyTorch's default
   * initialization); {@link #auto} checks every fixed-rank result.
   *
   * @param seed seed of the Gaussian test matrices
   * @return the randomized backend
   */
  public static SvdBackend randomized(long seed) {
    return randomized(seed, RandomizedSettings.DEFAULTS);
  }

  /**
   * Returns a randomized backend with other tuning than the defaults (for benchmarks and tuning
   * studies; the compressor uses {@link #randomized(long)} and {@link #auto}).
   *
   * @param seed seed of the Gaussian test matrices
   * @param settings the tuning
   * @return the randomized backend
   */
  public static SvdBackend randomized(long seed, RandomizedSettings settings) {
    return new RandomizedSvd(seed, settings);
  }

  /**
   * Returns the automatic backend: per matrix, the exact SVD for small matrices ({@code min(n, m) <
   * 96}) and for ranks whose sketch exceeds half of {@code min(n, m)}, the randomized one
   * otherwise; an energy target on a matrix with {@code min(n, m) >= 96} gets the fixed-precision
   * variant as in {@link #randomized}. Results name the method that ran.
   *
   * <p><b>Accuracy control.</b> Every fixed-rank result is within 1.005x of the Eckart-Young
   * optimum, {@code ||W - B A||_F <= 1.005 sqrt(sum_{i >= r} s_i^2)}, whatever the spectrum: the
   * randomized result is checked from its last two power iterations, and gets more of them, or the
   * exact SVD where that is predicted to be cheaper ({@code "exact-fallback"}), until the check
   * passes. Trained-like spectra pass at once, with exactly the randomized backend's result, at the
   * cost of the check (a Gram matrix and two small products, about 1 to 3 % of the time). Energy
   * targets are not checked against the optimum at the rank they choose; see {@code
   * docs/linalg.md}.
   *
   * @param seed seed of the randomized backend's test matrices
   * @return the automatic backend
   */
  public static SvdBackend auto(long seed) {
    return new AutoSvd(
        seed, RandomizedSettings.DEFAULTS.withMaxErrorRatio(AutoSvd.MAX_ERROR_RATIO));
  }

  /**
   * Returns the backend of a method: the factory every caller goes through.
   *
   * @param method the method
   * @param seed seed of the randomized test matrices (ignored by {@link SvdMethod#EXACT})
   * @return the backend
   */
  public static SvdBackend create(SvdMethod method, long seed) {
    return switch (method) {
      case EXACT -> exact();
      case RANDOMIZED -> randomized(seed);
      case AUTO -> auto(seed);
    };
  }

  /**
   * Sets how many threads each OpenBLAS call outside a {@link BlasThreads#lease lease} uses,
   * process-wide ({@link BlasThreads#setBaseline}). Safe at any time: the count changes as soon as
   * no call is in flight.
   *
   * @param threads at least 1
   * @throws IllegalArgumentException if {@code threads < 1}
   */
  public static void setBlasThreads(int threads) {
    BlasCoordinator.setBaseline(threads);
  }

  /**
   * Returns the OpenBLAS threads per call that keep {@code parallelCalls} concurrent factorizations
   * within this machine's processors: {@code max(1, processors / parallelCalls)}, what a {@link
   * BlasThreads#lease lease} for that many workers gives each call.
   *
   * @param parallelCalls how many factorizations run at once, at least 1
   * @return the count, at least 1
   * @throws IllegalArgumentException if {@code parallelCalls < 1}
   */
  public static int blasThreadsFor(int parallelCalls) {
    return BlasCoordinator.perCallFor(parallelCalls);
  }

  /**
   * Returns how many threads OpenBLAS uses per call now: the count of the calls in flight, else of
   * the last ones (the {@link BlasThreads#baseline baseline} once no lease is open).
   *
   * @return the count, at least 1
   */
  public static int blasThreads() {
    return BlasCoordinator.current();
  }

  /**
   * Returns all singular values of a matrix, descending, without its singular vectors: what
   * spectra, energy ranks and global rank budgets need, at a fraction of a full SVD's cost.
   *
   * @param w the matrix, non-empty and finite
   * @return the {@code min(n, m)} singular values
   * @throws IllegalArgumentException if {@code w} is empty or holds NaN or infinite values
   */
  public static float[] singularValues(FloatMatrix w) {
    return LapackExactSvd.singularValues(w);
  }
}
