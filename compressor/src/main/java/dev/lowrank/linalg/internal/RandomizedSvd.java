package dev.lowrank.linalg.internal;

import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.RandomizedSettings;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdAlgorithm;
import dev.lowrank.linalg.SvdBackend;
import dev.lowrank.linalg.TruncatedSvd;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Randomized truncated SVD.
 *
 * <p><b>Fixed rank</b> ({@link RankTarget.Leading} {@code r}): the randomized range finder with
 * subspace (power) iteration of Halko, Martinsson and Tropp (2011, algorithms 4.4 and 5.1). A
 * Gaussian test matrix of {@code l = r + oversampling} columns, then {@code passes} products with
 * {@code A} and {@code A^T} in turn, each followed by a renormalization of the new basis, and the
 * exact SVD ({@code sgesdd}) of the small product of the last pass. HMT's {@code q} power
 * iterations are {@code passes = 2q + 2}; an odd count ends half-way, on a basis {@code Z} of the
 * row space, and factorizes {@code A Z} ({@code A ~ (A Z) Z^T}), which buys a half iteration for
 * one product. Intermediate bases are renormalized with partially pivoted LU (as in Li et al. 2017,
 * ACM TOMS algorithm 971, and scikit-learn), which keeps the spans and is about five times cheaper
 * than Householder QR here; the last basis, which the result is built on, gets Householder QR
 * ({@code sgeqrf} and {@code sorgqr}). Setting {@code luBetweenSteps} to false uses QR throughout.
 *
 * <p><b>Accuracy control</b> (fixed ranks, when {@link RandomizedSettings#controlsError()}): after
 * the last pass, {@link ConvergenceCheck} predicts from the last two bases whether the rank-r error
 * is within {@link RandomizedSettings#maxErrorRatio()} of the Eckart-Young optimum. If not, further
 * power iterations run, each checked again, while the predicted iterations cost less than the exact
 * SVD ({@link #iterationCost}, {@link #exactCost}); otherwise the exact SVD runs ({@link
 * #FALLBACK_METHOD}). The check reads what the passes compute anyway (the triangular factor of the
 * last QR, the Gram matrix of the basis before it), so a result that passes at once is the
 * uncontrolled result.
 *
 * <p><b>Fixed precision</b> ({@link RankTarget.Energy} fraction {@code f}): the blocked randQB with
 * error indicator of Yu, Gu and Li (2018, "Efficient randomized algorithms for the fixed-precision
 * low-rank matrix approximation"). The basis grows by blocks of {@code blockSize} columns, each
 * drawn from the deflated matrix {@code A - Q B} with {@code blockPowerIterations} power
 * iterations, re-orthogonalized against the basis, until {@code ||B||_F^2 >= f ||A||_F^2}; then the
 * SVD of {@code B}. Because {@code ||B||_F^2} is the energy the basis captures, the rank that
 * {@link TruncatedSvd#rankForEnergy} picks from the result captures at least {@code f}, and never
 * less than the exact rank for {@code f}. When the basis would outgrow half of {@code min(n, m)},
 * the exact SVD is cheaper and runs instead ({@link #FALLBACK_METHOD}).
 *
 * <p>The work runs on a thread with a large stack ({@link LargeStack}): OpenBLAS's parallel LU
 * needs more than a Java thread's default.
 *
 * <p>Every call draws its test matrices from a fresh generator seeded with {@code seed}, so results
 * do not depend on the order in which threads call; the backend holds no mutable state.
 */
public final class RandomizedSvd implements SvdBackend {

  /** The method name of this backend. */
  public static final String METHOD = "randomized";

  /** What fixed-precision (energy) results name. */
  public static final SvdAlgorithm FIXED_PRECISION_METHOD = SvdAlgorithm.RANDOMIZED_FIXED_PRECISION;

  /** What a target handed to the exact SVD names. */
  public static final SvdAlgorithm FALLBACK_METHOD = SvdAlgorithm.EXACT_FALLBACK;

  /**
   * Energy fractions within this distance of 1 cannot be certified in float32 arithmetic (the
   * captured energy is known to about 1e-6 relative), so they go to the exact SVD directly.
   */
  static final double UNCERTIFIABLE_FRACTION_GAP = 1e-5;

  private final long seed;
  private final RandomizedSettings settings;

  /**
   * Creates a randomized backend.
   *
   * @param seed seed of the Gaussian test matrices
   * @param settings the tuning
   */
  public RandomizedSvd(long seed, RandomizedSettings settings) {
    this.seed = seed;
    this.settings = settings;
  }

  @Override
  public String name() {
    return METHOD;
  }

  @Override
  public TruncatedSvd decompose(FloatMatrix w, RankTarget target) {
    double energy = Inputs.checkedEnergy(w, target);
    // Entered here, on the caller's thread, whose lease sets the count; the large-stack thread
    // that does the work must not enter again.
    return BlasCoordinator.call(() -> LargeStack.call(() -> run(w, target, energy)));
  }

  private TruncatedSvd run(FloatMatrix w, RankTarget target, double energy) {
    if (target instanceof RankTarget.Leading leading) {
      return leading(w, energy, leading.rank());
    }
    double fraction = ((RankTarget.Energy) target).fraction();
    if (1 - fraction < UNCERTIFIABLE_FRACTION_GAP) {
      return LapackExactSvd.decompose(w, energy, FALLBACK_METHOD);
    }
    return fixedPrecision(w, energy, fraction);
  }

  private TruncatedSvd leading(FloatMatrix w, double energy, int rank) {
    int l = Math.min(rank + settings.oversampling(), Math.min(w.rows(), w.cols()));
    int passes = settings.passes();
    // A sketch as wide as the matrix spans all of it: nothing to control.
    boolean controlled = settings.controlsError() && l < Math.min(w.rows(), w.cols());
    // The first basis (the test matrix) lies along the operator's columns; with an even number of
    // passes the last SVD does too, with an odd number along its rows. Put the SVD on the short
    // side of W.
    boolean tall = w.rows() > w.cols();
    boolean operatorIsTranspose = (passes % 2 == 0) != tall;
    try (Operator op = new Operator(w, operatorIsTranspose);
        NativeMatrix colBasis = NativeMatrix.allocate(op.rows(), l);
        NativeMatrix rowBasis = NativeMatrix.allocate(op.cols(), l)) {
      rowBasis.fillGaussian(new SplittableRandom(seed));
      boolean onRows = true;
      float[] r = new float[0];
      Optional<float[]> t = Optional.empty();
      for (int pass = 1; pass < passes; pass++) {
        NativeMatrix basis = onRows ? colBasis : rowBasis;
        if (controlled && pass == passes - 1) {
          // The accuracy control compares the last basis with this one, the one before it.
          t = (onRows ? rowBasis : colBasis).gramCholesky();
        }
        if (onRows) {
          op.times(rowBasis, colBasis);
        } else {
          op.timesTransposed(colBasis, rowBasis);
        }
        onRows = !onRows;
        if (pass == passes - 1) {
          if (controlled) {
            r = basis.orthonormalizeKeepingR();
          } else {
            basis.orthonormalize();
          }
        } else {
          normalize(basis);
        }
      }
      // The last pass: product = A' Z (M' x l) for a row basis Z, or A'^T Q (N' x l) for a column
      // basis Q; A' ~ product Z^T or Q product^T.
      Step step = new Step(op, onRows, onRows ? rowBasis : colBasis, onRows ? colBasis : rowBasis);
      NativeMatrix.Svd small = step.factorize();
      try {
        if (!controlled) {
          return step.result(small, rank, energy);
        }
        double iterationCost = iterationCost(w.rows(), w.cols(), l);
        double exactCost = exactCost(w.rows(), w.cols());
        double spent = 0;
        double missingBefore = Double.NaN;
        while (true) {
          // Without a factor T (the Gram matrix was not positive definite) the check cannot judge
          // this step; one more iteration gives it an orthonormal previous basis.
          int needed = 1;
          if (t.isPresent() || spent > 0) {
            double[] previous = ConvergenceCheck.previousEnergies(small.vt().toArray(), rank, r, t);
            ConvergenceCheck.Verdict verdict =
                ConvergenceCheck.judge(small.s(), previous, rank, energy, settings.maxErrorRatio());
            if (verdict.met()) {
              return step.result(small, rank, energy);
            }
            needed = verdict.iterationsNeeded();
            if (!Double.isNaN(missingBefore)) {
              needed =
                  Math.max(
                      needed, ConvergenceCheck.iterationsAtObservedRate(missingBefore, verdict));
            }
            missingBefore = verdict.missing();
          }
          if (needed == Integer.MAX_VALUE || spent + needed * iterationCost > exactCost) {
            return LapackExactSvd.decompose(w, energy, FALLBACK_METHOD);
          }
          // One more power iteration, from the orthonormal U of the last product.
          r = step.iterate(small).orthonormalizeKeepingR();
          t = Optional.empty();
          NativeMatrix.Svd next = step.factorize();
          small.close();
          small = next;
          spent += iterationCost;
        }
      } finally {
        small.close();
      }
    }
  }

  /**
   * The cost of one further power iteration of the accuracy control (two products, a Householder QR
   * on the long side, an SVD with vectors on the short side), in the units of {@link #exactCost}:
   * flops weighted by how fast OpenBLAS runs each kind (products about twice as fast as the SVD, QR
   * about 0.6 times; measured on the development machine, {@code docs/linalg.md}).
   */
  static double iterationCost(int n, int m, int l) {
    double k = Math.min(n, m);
    double longSide = Math.max(n, m);
    double sketch = l;
    return 2.2 * n * m * sketch
        + 6 * longSide * sketch * sketch
        + 8 * k * sketch * sketch
        + 22 * sketch * sketch * sketch;
  }

  /** The cost of the exact SVD ({@code sgesdd} with vectors) of an n x m matrix, in flops. */
  static double exactCost(int n, int m) {
    double k = Math.min(n, m);
    return 4.0 * n * m * k + 7 * k * k * k;
  }

  /**
   * The last step of the fixed-rank iteration: the product of the operator with the orthonormal
   * basis {@code Z}, its SVD, and the result; and, for the accuracy control, further iterations.
   */
  private static final class Step {
    private final Operator op;
    private final boolean onRows;
    private final NativeMatrix basis;
    private final NativeMatrix product;

    /**
     * The product is {@code A' Z} when {@code onRows} (Z a row basis), else {@code A'^T Z}.
     *
     * @param basis the orthonormal basis Z (on the long side)
     * @param product where the product goes (on the short side)
     */
    Step(Operator op, boolean onRows, NativeMatrix basis, NativeMatrix product) {
      this.op = op;
      this.onRows = onRows;
      this.basis = basis;
      this.product = product;
    }

    /** Computes the product with the basis and returns its SVD, overwriting the product. */
    NativeMatrix.Svd factorize() {
      if (onRows) {
        op.times(basis, product);
      } else {
        op.timesTransposed(basis, product);
      }
      return product.svdDestroying();
    }

    /**
     * Replaces the basis by the product of the transposed operator with the last SVD's {@code U}
     * (the first half of a power iteration) and returns it, to be orthonormalized.
     */
    NativeMatrix iterate(NativeMatrix.Svd last) {
      if (onRows) {
        op.timesTransposed(last.u(), basis);
      } else {
        op.times(last.u(), basis);
      }
      return basis;
    }

    /** The rank-r result {@code A' ~ U S (Z V)^T} from the SVD of the last product. */
    TruncatedSvd result(NativeMatrix.Svd small, int rank, double energy) {
      try (NativeMatrix rotated =
          NativeMatrix.product(basis, false, small.vt().topRows(rank), true)) {
        float[] s = new float[rank];
        System.arraycopy(small.s(), 0, s, 0, rank);
        NativeMatrix productSide = small.u().columns(0, rank);
        return onRows
            ? op.result(productSide, s, rotated, energy, SvdAlgorithm.RANDOMIZED)
            : op.result(rotated, s, productSide, energy, SvdAlgorithm.RANDOMIZED);
      }
    }
  }

  private TruncatedSvd fixedPrecision(FloatMatrix w, double energy, double fraction) {
    double goal = fraction * energy;
    int capacity =
        Math.max(1, (int) Math.floor(settings.maxBasisShare() * Math.min(w.rows(), w.cols())));
    SplittableRandom random = new SplittableRandom(seed);
    // The basis Q lies along the long side; B^T, and the SVD, along the short one.
    try (Operator op = new Operator(w, w.cols() > w.rows());
        NativeMatrix q = NativeMatrix.allocate(op.rows(), capacity);
        NativeMatrix bt = NativeMatrix.allocate(op.cols(), capacity)) {
      int k = 0;
      double captured = 0;
      Reach reach = new Reach(capacity);
      // At least one block, so that even a zero matrix yields a triplet.
      while (k == 0 || captured < goal) {
        if (k == capacity) {
          return LapackExactSvd.decompose(w, energy, FALLBACK_METHOD);
        }
        int b = Math.min(settings.blockSize(), capacity - k);
        addBlock(op, q.columns(0, k), bt.columns(0, k), q.columns(k, k + b), random);
        NativeMatrix bi = bt.columns(k, k + b);
        op.timesTransposed(q.columns(k, k + b), bi);
        double blockEnergy = bi.frobeniusNormSquared();
        captured += blockEnergy;
        k += b;
        if (captured < goal && reach.add(k, b, blockEnergy) < goal - captured) {
          return LapackExactSvd.decompose(w, energy, FALLBACK_METHOD);
        }
      }
      try (NativeMatrix.Svd small = bt.columns(0, k).svdDestroying();
          NativeMatrix left = NativeMatrix.product(q.columns(0, k), false, small.vt(), true)) {
        return op.result(left, small.s(), small.u(), energy, FIXED_PRECISION_METHOD);
      }
    }
  }

  /**
   * Fills {@code qi} with an orthonormal block that extends the orthonormal basis {@code qk}: the
   * range of the deflated {@code A' - Q B} ({@code B = btk^T}) sketched by a Gaussian block and
   * refined by power iterations, then re-orthogonalized against {@code qk}.
   */
  private void addBlock(
      Operator op, NativeMatrix qk, NativeMatrix btk, NativeMatrix qi, SplittableRandom random) {
    int k = qk.cols();
    int b = qi.cols();
    try (NativeMatrix zi = NativeMatrix.allocate(op.cols(), b);
        NativeMatrix small = NativeMatrix.allocate(k, b)) {
      zi.fillGaussian(random);
      deflatedTimes(op, qk, btk, zi, qi, small);
      for (int i = 0; i < settings.blockPowerIterations(); i++) {
        normalize(qi);
        // zi = (A' - Q B)^T qi = A'^T qi - B^T (Q^T qi)
        op.timesTransposed(qi, zi);
        NativeMatrix.gemm(1f, qk, true, qi, false, 0f, small);
        NativeMatrix.gemm(-1f, btk, false, small, false, 1f, zi);
        normalize(zi);
        deflatedTimes(op, qk, btk, zi, qi, small);
      }
      // Re-orthogonalize against the basis, qi -= Q (Q^T qi), then orthonormalize.
      NativeMatrix.gemm(1f, qk, true, qi, false, 0f, small);
      NativeMatrix.gemm(-1f, qk, false, small, false, 1f, qi);
      qi.orthonormalize();
    }
  }

  /**
   * Predicts how much more energy the fixed-precision basis can capture before it is full, so that
   * a target out of reach hands over to the exact SVD early instead of after filling the basis.
   *
   * <p>Each block's average energy per column samples the squared spectrum near the block's centre.
   * The last two samples fit a power law {@code s_j^2 ~ c j^-beta} (trained weights decay roughly
   * so), which is summed over the free columns. The first block is left out of the fit: the head of
   * the spectrum is too convex for its average to sit at its centre, and a fit through it
   * overestimates the decay. So there is no prediction before the third block. A wrong prediction
   * costs time, never accuracy, since the exact SVD is always correct.
   */
  static final class Reach {
    private final int capacity;
    private int blocks;
    private double previousAverage;
    private double previousCentre;

    Reach(int capacity) {
      this.capacity = capacity;
    }

    /**
     * Records the block of {@code b} columns that ends before column {@code k} and captured {@code
     * energy}, and returns the energy the free columns {@code k .. capacity - 1} can still add
     * ({@link Double#POSITIVE_INFINITY} before the third block).
     */
    double add(int k, int b, double energy) {
      double average = energy / b;
      double centre = k - b / 2.0;
      blocks++;
      double last = previousAverage;
      double lastCentre = previousCentre;
      previousAverage = average;
      previousCentre = centre;
      if (blocks < 3) {
        return Double.POSITIVE_INFINITY;
      }
      double beta =
          last > average && average > 0
              ? Math.log(last / average) / Math.log(centre / lastCentre)
              : 0;
      double reach = 0;
      for (int j = k; j < capacity; j++) {
        reach += average * Math.pow((j + 0.5) / centre, -beta);
      }
      return reach;
    }
  }

  /** Renormalizes an intermediate basis: pivoted LU or Householder QR. */
  private void normalize(NativeMatrix basis) {
    if (settings.luBetweenSteps()) {
      basis.normalizeLu();
    } else {
      basis.orthonormalize();
    }
  }

  /** Computes {@code out = (A' - Q B) x} with {@code B = bt^T}; {@code small} is k x cols(x). */
  private static void deflatedTimes(
      Operator op,
      NativeMatrix q,
      NativeMatrix bt,
      NativeMatrix x,
      NativeMatrix out,
      NativeMatrix small) {
    op.times(x, out);
    NativeMatrix.gemm(1f, bt, true, x, false, 0f, small);
    NativeMatrix.gemm(-1f, q, false, small, false, 1f, out);
  }

  /**
   * The matrix the algorithms work on, {@code A'} (M' x N'): either {@code W} or {@code W^T}, both
   * read from one native copy of {@code W}, whose column-major reading is {@code W^T}.
   */
  private static final class Operator implements AutoCloseable {
    private final NativeMatrix wt;
    private final boolean isTranspose;

    /** Wraps {@code W}; {@code isTranspose} makes the operator {@code W^T}, else {@code W}. */
    Operator(FloatMatrix w, boolean isTranspose) {
      this.wt = NativeMatrix.transposeOf(w);
      this.isTranspose = isTranspose;
    }

    int rows() {
      return isTranspose ? wt.rows() : wt.cols();
    }

    int cols() {
      return isTranspose ? wt.cols() : wt.rows();
    }

    /** {@code out = A' x}. */
    void times(NativeMatrix x, NativeMatrix out) {
      NativeMatrix.gemm(1f, wt, !isTranspose, x, false, 0f, out);
    }

    /** {@code out = A'^T y}. */
    void timesTransposed(NativeMatrix y, NativeMatrix out) {
      NativeMatrix.gemm(1f, wt, isTranspose, y, false, 0f, out);
    }

    /**
     * Maps {@code A' ~ left diag(s) right^T} (column-major, left M' x k, right N' x k) to the SVD
     * of {@code W}.
     */
    TruncatedSvd result(
        NativeMatrix left, float[] s, NativeMatrix right, double energy, SvdAlgorithm method) {
      if (isTranspose) {
        // A' = W^T, so W = right S left^T.
        return new TruncatedSvd(right.toRowMajor(), s, left.transposeToRowMajor(), energy, method);
      }
      return new TruncatedSvd(left.toRowMajor(), s, right.transposeToRowMajor(), energy, method);
    }

    @Override
    public void close() {
      wt.close();
    }
  }
}
