package dev.lowrank.linalg.internal;

import java.util.Optional;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;

/**
 * The accuracy control of the fixed-rank randomized SVD: predicts, from its last two subspace
 * iteration steps, how much energy a rank-r result still misses against the exact truncated SVD,
 * and so whether its error is within a factor of the Eckart-Young optimum.
 *
 * <p>The rank-r result {@code U_r S_r V_r^T} is the projection of {@code W} onto {@code span(U_r)},
 * so its error is known exactly: {@code ||W - W_r||^2 = ||W||^2 - sum_{j<r} s_j^2}. The optimum is
 * {@code ||W||^2 - sum_{j<r} sigma_j^2}, and what separates the two is the energy the iteration has
 * not yet found, {@code sum_{j<r} (sigma_j^2 - s_j^2) >= 0}. Subspace iteration finds it
 * geometrically: the part along the j-th singular direction shrinks by about {@code (sigma_{l+1} /
 * sigma_j)^2} per product with {@code W} or {@code W^T} ({@code l} the sketch width). So the energy
 * the last step added, {@code D_j}, predicts what is still missing, {@code D_j rho_j / (1 -
 * rho_j)}, with the rate {@code rho_j = (s_l / s_j)^2} read off the result's own values.
 *
 * <p>The previous step's energies along the result's directions come from the triangular factors
 * the iteration computes anyway ({@link #previousEnergies}); they are Rayleigh quotients, whose
 * partial sums never exceed those of the previous step's Ritz values (Ky Fan), so {@code D_j} is
 * never underestimated. Triplets are judged in groups of {@link #GROUP}, where individual values of
 * a flat spectrum swap places between steps; increments within float32 round-off ({@link #NOISE})
 * count as converged; the prediction is multiplied by {@link #SAFETY}. The constants were fitted on
 * 429 spectra (power laws with exponents 0.1 to 1, Marchenko-Pastur bulks with and without spikes,
 * exponential and two-slope decays, 6 shapes, ranks 8 to 256; {@code docs/linalg.md}): no accepted
 * result exceeded 1.0046 times the optimum for a bound of 1.005.
 */
final class ConvergenceCheck {

  /** Triplets judged together. */
  static final int GROUP = 8;

  /** The factor on the predicted missing energy. */
  static final double SAFETY = 1.4;

  /** The largest convergence rate per step assumed; keeps the prediction finite. */
  static final double MAX_RATE = 0.95;

  /**
   * A group's increment below {@code NOISE * s_0 * sum_{j in group} s_j} is float32 round-off: the
   * values of the two steps are computed from different float32 products.
   */
  static final double NOISE = 1e-5;

  /** Predictions further out than this many iterations count as never. */
  static final int HORIZON = 64;

  /**
   * What the check found.
   *
   * @param missing the predicted energy the rank-r result misses against the optimum, with the
   *     safety factor
   * @param budget the missing energy the bound allows: {@code (1 - 1 / ratio^2)} times the error
   * @param iterationsNeeded predicted further power iterations (two products each) until the bound
   *     is met: 0 when it is, {@link Integer#MAX_VALUE} beyond {@link #HORIZON}
   */
  record Verdict(double missing, double budget, int iterationsNeeded) {
    /** Returns whether the bound is met. */
    boolean met() {
      return iterationsNeeded == 0;
    }
  }

  private ConvergenceCheck() {}

  /**
   * Judges a rank-r result.
   *
   * @param s the current step's values (all {@code l} of them, descending)
   * @param previous the previous step's energies along the current step's first {@code rank}
   *     directions ({@link #previousEnergies})
   * @param rank the rank of the result
   * @param energy {@code ||W||_F^2}
   * @param maxRatio the bound on the error over the optimum, above 1
   * @return the verdict
   */
  static Verdict judge(float[] s, double[] previous, int rank, double energy, double maxRatio) {
    int l = s.length;
    double captured = 0;
    for (int j = 0; j < rank; j++) {
      captured += (double) s[j] * s[j];
    }
    double budget = (1 - 1 / (maxRatio * maxRatio)) * Math.max(0, energy - captured);
    double last = s[l - 1];
    int groups = (rank + GROUP - 1) / GROUP;
    double[] increment = new double[groups];
    double[] rate = new double[groups];
    for (int g = 0; g < groups; g++) {
      int from = g * GROUP;
      int to = Math.min(rank, from + GROUP);
      double added = 0;
      double size = 0;
      for (int j = from; j < to; j++) {
        added += (double) s[j] * s[j] - previous[j];
        size += s[j];
      }
      double smallest = s[to - 1];
      if (added > NOISE * s[0] * size && smallest > 0) {
        increment[g] = added;
        rate[g] = Math.min(MAX_RATE, (last / smallest) * (last / smallest));
      }
    }
    double missing = missingAfter(0, increment, rate);
    int needed = Integer.MAX_VALUE;
    for (int n = 0; n <= HORIZON; n++) {
      if (missingAfter(n, increment, rate) <= budget) {
        needed = n;
        break;
      }
    }
    return new Verdict(missing, budget, needed);
  }

  /**
   * Returns the iterations still needed if the predicted missing energy keeps shrinking at the rate
   * it did over the last iteration. On a flat spectrum the rates read off the values ({@code (s_l /
   * s_j)^2}) are optimistic; the observed rate keeps the iteration from running on until it must
   * hand over to the exact SVD after all.
   *
   * @param before the missing energy predicted one iteration ago
   * @param now this iteration's verdict, not met
   * @return at least 1, {@link Integer#MAX_VALUE} if the prediction did not shrink or needs more
   *     than {@link #HORIZON}
   */
  static int iterationsAtObservedRate(double before, Verdict now) {
    double shrink = now.missing() / before;
    if (!(shrink < 1) || !(now.budget() > 0)) {
      return Integer.MAX_VALUE;
    }
    double n = Math.ceil(Math.log(now.budget() / now.missing()) / Math.log(shrink));
    return n > HORIZON ? Integer.MAX_VALUE : Math.max(1, (int) n);
  }

  /**
   * The predicted missing energy after {@code n} further iterations ({@code 2n} products), with the
   * safety factor: each group still misses {@code D rho^(2n+1) / (1 - rho)}.
   */
  private static double missingAfter(int n, double[] increment, double[] rate) {
    double missing = 0;
    for (int g = 0; g < increment.length; g++) {
      if (increment[g] > 0) {
        missing += increment[g] * Math.pow(rate[g], 2 * n + 1) / (1 - rate[g]);
      }
    }
    return SAFETY * missing;
  }

  /**
   * Returns the previous step's energies along the current step's first {@code rank} directions.
   *
   * <p>The previous step's basis {@code X} (orthonormal as {@code Q = X T^-1}, with {@code T} from
   * {@link NativeMatrix#gramCholesky}, or {@code T = I} when {@code X} was orthonormal already) was
   * mapped to {@code B X = Z R} ({@code R} from the Householder QR of the product), and the current
   * step factorized {@code B^T Z = U S V^T}. Then {@code Q^T B^T Z = (R T^-1)^T}, and the previous
   * step's energy along the current direction {@code v_j} is {@code ||v_j^T R T^-1||^2}.
   *
   * @param vt the current step's {@code V^T}, l x l, column-major
   * @param rank how many directions to evaluate
   * @param r the triangular factor {@code R}, l x l, column-major
   * @param t the Cholesky factor {@code T}, l x l, column-major, or empty for the identity
   * @return {@code rank} energies
   */
  static double[] previousEnergies(float[] vt, int rank, float[] r, Optional<float[]> t) {
    int l = (int) Math.round(Math.sqrt(r.length));
    // All in float32 like the rest: this OpenBLAS build's double-precision kernels for AVX-512
    // (SkylakeX) return wrong results for some shapes (docs/linalg.md).
    try (FloatPointer pv = new FloatPointer(vt);
        FloatPointer pr = new FloatPointer(r);
        FloatPointer product = new FloatPointer((long) rank * l)) {
      // product = Vt_r R (rank x l), Vt_r the first rank rows of the l x l Vt; then times T^-1.
      openblas.cblas_sgemm(
          openblas.CblasColMajor,
          openblas.CblasNoTrans,
          openblas.CblasNoTrans,
          rank,
          l,
          l,
          1f,
          pv,
          l,
          pr,
          l,
          0f,
          product,
          rank);
      if (t.isPresent()) {
        try (FloatPointer pt = new FloatPointer(t.get())) {
          openblas.cblas_strsm(
              openblas.CblasColMajor,
              openblas.CblasRight,
              openblas.CblasUpper,
              openblas.CblasNoTrans,
              openblas.CblasNonUnit,
              rank,
              l,
              1f,
              pt,
              l,
              product,
              rank);
        }
      }
      float[] values = new float[rank * l];
      product.get(values);
      double[] energies = new double[rank];
      for (int i = 0; i < l; i++) {
        for (int j = 0; j < rank; j++) {
          double x = values[i * rank + j];
          energies[j] += x * x;
        }
      }
      return energies;
    }
  }
}
