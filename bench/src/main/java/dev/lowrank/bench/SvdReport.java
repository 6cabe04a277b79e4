package dev.lowrank.bench;

import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.linalg.RandomizedSettings;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackend;
import dev.lowrank.linalg.SvdBackends;
import dev.lowrank.linalg.TestMatrices;
import dev.lowrank.linalg.TruncatedSvd;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * A quick report (no JMH) of the SVD backends on trained-like matrices, next to PyTorch when {@code
 * /usr/bin/python3} has torch: the exact SVD of a 2048 x 2048 matrix, and the rank-128
 * factorization of the six weight matrices of a BERT-base encoder layer, by the randomized backend
 * and by {@code auto} (the default, with its accuracy control); and at rank 64 the flat spectra of
 * PyTorch's default initialization, where the control has work to do.
 *
 * <p>Run it with {@code main} (a table, or {@code --json}) or call {@link #run(Options)}. The
 * figures in {@code docs/linalg.md} come from here.
 */
public final class SvdReport {

  /** The energy fractions whose chosen ranks the report compares with the exact ranks. */
  public static final List<Double> ENERGY_FRACTIONS = List.of(0.5, 0.8, 0.9, 0.95);

  /** The rank of the default-initialization rows (issue 9: {@code compress --rank 64}). */
  public static final int DEFAULT_INIT_RANK = 64;

  /** The settings of {@code torch.svd_lowrank(q = r + 10, niter = 2)}, on our implementation. */
  static final RandomizedSettings TORCH_SETTINGS =
      new RandomizedSettings(10, 6, 32, 3, 0.5, false, Double.POSITIVE_INFINITY);

  private SvdReport() {}

  /**
   * What to measure and how.
   *
   * @param rank the rank of the fixed-rank factorizations
   * @param runs timed runs of each randomized factorization (the median counts)
   * @param exactRuns timed runs of each exact SVD
   * @param blasThreads OpenBLAS threads for our backends
   * @param torchThreads threads for torch and its BLAS; 0 keeps torch's own default
   * @param python the interpreter that runs the PyTorch reference, or empty to skip it
   * @param seed seed of the matrices and sketches
   */
  public record Options(
      int rank,
      int runs,
      int exactRuns,
      int blasThreads,
      int torchThreads,
      Optional<Path> python,
      long seed) {

    /** The interpreter the report looks for by default. */
    public static final Path DEFAULT_PYTHON = Path.of("/usr/bin/python3");

    /** Checks the values. */
    public Options {
      if (rank < 1 || runs < 1 || exactRuns < 1 || blasThreads < 1 || torchThreads < 0) {
        throw new IllegalArgumentException(
            "rank, runs, exact runs and BLAS threads must be >= 1 and torch threads >= 0, got "
                + List.of(rank, runs, exactRuns, blasThreads, torchThreads));
      }
    }

    /**
     * Returns the defaults: rank 128, 5 randomized and 3 exact runs, the current OpenBLAS thread
     * count for us and for torch, {@code /usr/bin/python3}, seed 42.
     *
     * @return the default options
     */
    public static Options defaults() {
      int threads = SvdBackends.blasThreads();
      return new Options(128, 5, 3, threads, threads, Optional.of(DEFAULT_PYTHON), 42);
    }
  }

  /**
   * Our figures for one shape.
   *
   * @param shape the shape (its count is its multiplicity in a BERT-base layer)
   * @param exactSeconds median seconds of the exact SVD
   * @param randomizedSeconds median seconds of the default randomized SVD at the rank
   * @param randomizedErrorRatio its rank-r Frobenius error over the Eckart-Young optimum
   * @param torchSettingsSeconds median seconds of our randomized SVD with torch's settings
   * @param torchSettingsErrorRatio its error over the optimum
   * @param autoSeconds median seconds of {@code auto} at the rank, timed in turn with the
   *     randomized SVD
   * @param autoErrorRatio its error over the optimum
   * @param autoMethod what {@code auto} ran
   */
  public record ShapeResult(
      Shape shape,
      double exactSeconds,
      double randomizedSeconds,
      double randomizedErrorRatio,
      double torchSettingsSeconds,
      double torchSettingsErrorRatio,
      double autoSeconds,
      double autoErrorRatio,
      String autoMethod) {}

  /**
   * The figures of one shape with PyTorch's default initialization, at {@link #DEFAULT_INIT_RANK}.
   *
   * @param shape the shape
   * @param exactSeconds median seconds of the exact SVD
   * @param randomizedSeconds median seconds of the randomized SVD (no accuracy control)
   * @param randomizedErrorRatio its error over the optimum
   * @param autoSeconds median seconds of {@code auto}, timed in turn with the randomized SVD
   * @param autoErrorRatio its error over the optimum
   * @param autoMethod what {@code auto} ran
   */
  public record FlatResult(
      Shape shape,
      double exactSeconds,
      double randomizedSeconds,
      double randomizedErrorRatio,
      double autoSeconds,
      double autoErrorRatio,
      String autoMethod) {}

  /**
   * The rank an energy target selects, fixed-precision randomized against exact.
   *
   * @param shape the matrix shape
   * @param fraction the energy fraction
   * @param exactRank the exact smallest rank capturing the fraction
   * @param randomizedRank the rank the randomized backend's result selects
   * @param method the method that produced the randomized result
   * @param randomizedSeconds median seconds of that decomposition
   */
  public record EnergyRank(
      Shape shape,
      double fraction,
      int exactRank,
      int randomizedRank,
      String method,
      double randomizedSeconds) {}

  /**
   * A ratio and its target, {@code value <= target}.
   *
   * @param name a stable identifier
   * @param description what the ratio compares
   * @param value the measured ratio
   * @param target the largest value that meets the target
   */
  public record Check(String name, String description, double value, double target) {
    /**
     * Returns whether the value meets the target.
     *
     * @return {@code value <= target}
     */
    public boolean met() {
      return value <= target;
    }
  }

  /**
   * Everything the report measured.
   *
   * @param machine the CPU, cores, load and JVM
   * @param options the options it ran with
   * @param square the 2048 x 2048 figures
   * @param bert the figures of the BERT-base layer shapes
   * @param energy the energy-target ranks on the BERT-base layer shapes
   * @param flat the default-initialization figures
   * @param torch PyTorch's figures, when it ran
   * @param torchUnavailable why PyTorch did not run, when it did not
   * @param checks the ratios and their targets
   */
  public record Result(
      Machine machine,
      Options options,
      ShapeResult square,
      List<ShapeResult> bert,
      List<EnergyRank> energy,
      List<FlatResult> flat,
      Optional<TorchReference> torch,
      Optional<String> torchUnavailable,
      List<Check> checks) {}

  /**
   * Measures and returns the report. Takes about a minute and a half on two cores with the
   * defaults.
   *
   * @param options what to measure
   * @return the figures
   */
  public static Result run(Options options) {
    int previousThreads = SvdBackends.blasThreads();
    SvdBackends.setBlasThreads(options.blasThreads());
    try {
      Machine before = Machine.describe(options.blasThreads());
      List<ShapeResult> bert = new ArrayList<>();
      List<EnergyRank> energy = new ArrayList<>();
      long seed = options.seed();
      for (Shape shape : Shape.BERT_BASE_LAYER) {
        FloatMatrix w = TestMatrices.trainedLike(shape.rows(), shape.cols(), seed++);
        bert.add(measure(shape, w, options));
        energy.addAll(energyRanks(shape, w, options));
      }
      Shape big = Shape.SQUARE_2048;
      ShapeResult square =
          measure(big, TestMatrices.trainedLike(big.rows(), big.cols(), seed), options);
      List<FlatResult> flat = new ArrayList<>();
      for (Shape shape : Shape.DEFAULT_INIT) {
        flat.add(measureFlat(shape, defaultInit(shape, ++seed), options));
      }
      TorchReference.Outcome torch =
          options
              .python()
              .map(python -> runTorch(python, options))
              .orElse(TorchReference.Outcome.unavailable("skipped (--no-torch)"));
      return new Result(
          before.withLoadAfter(Machine.loadAverage()),
          options,
          square,
          List.copyOf(bert),
          List.copyOf(energy),
          List.copyOf(flat),
          torch.reference(),
          torch.unavailable(),
          checks(square, bert, flat, torch.reference()));
    } finally {
      SvdBackends.setBlasThreads(previousThreads);
    }
  }

  /**
   * Returns a BERT-base layer total: each shape's time times its count.
   *
   * @param rows the per-shape results
   * @param seconds the time of one shape
   * @return the layer total in seconds
   */
  static double layerTotal(List<ShapeResult> rows, ToDoubleFunction<ShapeResult> seconds) {
    return rows.stream().mapToDouble(r -> seconds.applyAsDouble(r) * r.shape().count()).sum();
  }

  private static TorchReference.Outcome runTorch(Path python, Options options) {
    List<Shape> shapes = new ArrayList<>(Shape.BERT_BASE_LAYER);
    shapes.add(Shape.SQUARE_2048);
    return TorchReference.run(
        python,
        shapes,
        shapes,
        options.rank(),
        options.torchThreads(),
        options.runs(),
        options.exactRuns());
  }

  private static ShapeResult measure(Shape shape, FloatMatrix w, Options options) {
    float[] spectrum =
        TestMatrices.powerLawSpectrum(
            Math.min(shape.rows(), shape.cols()), TestMatrices.TRAINED_LIKE_DECAY);
    int rank = Math.min(options.rank(), spectrum.length);
    double optimum = TestMatrices.optimalError(spectrum, rank);
    RankTarget target = RankTarget.leading(rank);
    SvdBackend exact = SvdBackends.exact();
    SvdBackend randomized = SvdBackends.randomized(options.seed());
    SvdBackend auto = SvdBackends.auto(options.seed());
    SvdBackend torchSettings = SvdBackends.randomized(options.seed(), TORCH_SETTINGS);
    double[] inTurn =
        Timing.medianSecondsInTurn(
            () -> randomized.decompose(w, target), () -> auto.decompose(w, target), options.runs());
    TruncatedSvd autoResult = auto.decompose(w, target);
    return new ShapeResult(
        shape,
        Timing.medianSeconds(() -> exact.decompose(w, target), options.exactRuns()),
        inTurn[0],
        error(w, randomized.decompose(w, target), rank) / optimum,
        Timing.medianSeconds(() -> torchSettings.decompose(w, target), options.runs()),
        error(w, torchSettings.decompose(w, target), rank) / optimum,
        inTurn[1],
        error(w, autoResult, rank) / optimum,
        autoResult.method());
  }

  private static FlatResult measureFlat(Shape shape, FloatMatrix w, Options options) {
    float[] s = SvdBackends.singularValues(w);
    int rank = DEFAULT_INIT_RANK;
    double tail = 0;
    for (int i = rank; i < s.length; i++) {
      tail += (double) s[i] * s[i];
    }
    double optimum = Math.sqrt(tail);
    RankTarget target = RankTarget.leading(rank);
    SvdBackend randomized = SvdBackends.randomized(options.seed());
    SvdBackend auto = SvdBackends.auto(options.seed());
    double[] inTurn =
        Timing.medianSecondsInTurn(
            () -> randomized.decompose(w, target), () -> auto.decompose(w, target), options.runs());
    TruncatedSvd autoResult = auto.decompose(w, target);
    return new FlatResult(
        shape,
        Timing.medianSeconds(() -> SvdBackends.exact().decompose(w, target), options.exactRuns()),
        inTurn[0],
        error(w, randomized.decompose(w, target), rank) / optimum,
        inTurn[1],
        error(w, autoResult, rank) / optimum,
        autoResult.method());
  }

  /**
   * Returns PyTorch's default initialization of {@code nn.Linear(cols, rows)}: independent {@code
   * U(-1/sqrt(cols), 1/sqrt(cols))} values.
   */
  static FloatMatrix defaultInit(Shape shape, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double bound = 1 / Math.sqrt(shape.cols());
    float[] data = new float[Math.multiplyExact(shape.rows(), shape.cols())];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) random.nextDouble(-bound, bound);
    }
    return FloatMatrix.wrap(shape.rows(), shape.cols(), data);
  }

  private static List<EnergyRank> energyRanks(Shape shape, FloatMatrix w, Options options) {
    TruncatedSvd reference = SvdBackends.exact().decompose(w, RankTarget.leading(1));
    SvdBackend randomized = SvdBackends.randomized(options.seed());
    List<EnergyRank> ranks = new ArrayList<>();
    for (double fraction : ENERGY_FRACTIONS) {
      RankTarget goal = RankTarget.energy(fraction);
      TruncatedSvd svd = randomized.decompose(w, goal);
      ranks.add(
          new EnergyRank(
              shape,
              fraction,
              reference.rankForEnergy(fraction),
              svd.rankForEnergy(fraction),
              svd.method(),
              Timing.medianSeconds(() -> randomized.decompose(w, goal), options.runs())));
    }
    return ranks;
  }

  private static double error(FloatMatrix w, TruncatedSvd svd, int rank) {
    return LowRankFactors.truncate(svd, rank).residualNorm(w);
  }

  static List<Check> checks(
      ShapeResult square,
      List<ShapeResult> bert,
      List<FlatResult> flat,
      Optional<TorchReference> torch) {
    List<Check> checks = new ArrayList<>();
    double worstError =
        Math.max(
            square.randomizedErrorRatio(),
            bert.stream().mapToDouble(ShapeResult::randomizedErrorRatio).max().orElse(0));
    checks.add(
        new Check(
            "randomized_error_vs_optimum",
            "randomized rank-r error / Eckart-Young optimum, worst trained-like shape",
            worstError,
            1.005));
    double worstAuto =
        Math.max(
            Math.max(
                square.autoErrorRatio(),
                bert.stream().mapToDouble(ShapeResult::autoErrorRatio).max().orElse(0)),
            flat.stream().mapToDouble(FlatResult::autoErrorRatio).max().orElse(0));
    checks.add(
        new Check(
            "auto_error_vs_optimum",
            "auto rank-r error / Eckart-Young optimum, worst shape, trained-like and default init",
            worstAuto,
            1.005));
    double bertRandomized = layerTotal(bert, ShapeResult::randomizedSeconds);
    double bertExact = layerTotal(bert, ShapeResult::exactSeconds);
    checks.add(
        new Check(
            "bert_randomized_vs_exact",
            "BERT-base layer: our randomized total / our exact total",
            bertRandomized / bertExact,
            0.3));
    checks.add(
        new Check(
            "bert_auto_vs_exact",
            "BERT-base layer: auto total / our exact total",
            layerTotal(bert, ShapeResult::autoSeconds) / bertExact,
            0.3));
    if (torch.isPresent()) {
      TorchReference reference = torch.get();
      reference
          .row(Shape.SQUARE_2048)
          .exactSeconds()
          .ifPresent(
              seconds ->
                  checks.add(
                      new Check(
                          "exact_vs_torch_2048",
                          "2048x2048: our exact / torch.linalg.svd",
                          square.exactSeconds() / seconds,
                          2.0)));
      double torchLowrank =
          bert.stream()
              .mapToDouble(r -> reference.row(r.shape()).lowrankSeconds() * r.shape().count())
              .sum();
      checks.add(
          new Check(
              "bert_randomized_vs_torch_lowrank",
              "BERT-base layer: our randomized total / torch.svd_lowrank total",
              bertRandomized / torchLowrank,
              1.0));
    }
    return List.copyOf(checks);
  }

  /**
   * Runs the report and prints a table, or JSON with {@code --json}.
   *
   * <p>Options: {@code --json}, {@code --no-torch}, {@code --python PATH}, {@code --threads N},
   * {@code --runs N}, {@code --exact-runs N}, {@code --rank N}, {@code --seed N}, {@code --check}
   * (exit 1 when a target is missed). Exit code 2 for bad arguments.
   *
   * @param args the options
   */
  public static void main(String[] args) {
    SvdReportCommand.Parsed parsed;
    try {
      parsed = SvdReportCommand.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("svd report: " + e.getMessage());
      System.err.println(SvdReportCommand.USAGE);
      System.exit(2);
      return;
    }
    if (parsed.help()) {
      System.out.println(SvdReportCommand.USAGE);
      return;
    }
    Result result = run(parsed.options());
    System.out.println(parsed.json() ? SvdReportText.json(result) : SvdReportText.table(result));
    if (parsed.check() && !result.checks().stream().allMatch(Check::met)) {
      System.exit(1);
    }
  }
}
