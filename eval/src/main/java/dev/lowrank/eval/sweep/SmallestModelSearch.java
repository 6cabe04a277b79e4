package dev.lowrank.eval.sweep;

import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.Overwrite;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.compress.Scope;
import dev.lowrank.eval.gate.Gate;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.eval.sweep.internal.SweepRunner;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.io.InputFileException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Finds the smallest compressed model (fewest parameters) whose accuracy drop stays within a limit,
 * and says which setting makes it.
 *
 * <p>Strategy. When every candidate is of one kind (all energies, all ratios, or all ranks), they
 * are sorted by the size they lead to (ascending value) and, assuming that a larger setting is at
 * least as accurate, a binary search finds the first candidate within the limit. Then {@code
 * refinementSteps} bisection steps between the last failing and the first passing value look for a
 * smaller passing setting (midpoint energies or ratios; integer midpoint ranks). When candidates
 * are of mixed kinds, each is evaluated. In every case the answer is the passing model with the
 * fewest parameters among all those evaluated, so a non-monotone curve can only cost optimality,
 * never correctness. By default two such searches run, one over the energies 0.5, 0.6, 0.7, 0.8,
 * 0.85, 0.9, 0.95, 0.98, 0.99, 0.995 and 0.999 (which follow each layer's spectrum) and one over
 * the parameter ratios 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8 and 0.9 (which follow the
 * size directly): about 8 evaluations plus 6 refinements, and the smaller passing model wins.
 *
 * <p>On unlabeled data the drop is the top-1 disagreement with the original (see {@link Gate}).
 */
public final class SmallestModelSearch {

  /** The default candidate energies. */
  public static final List<Double> DEFAULT_ENERGIES =
      List.of(0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999);

  /**
   * The candidate parameter ratios of a global budget ({@link Builder#optGlobalBudget()}): each one
   * model-wide share of the linear weights, spread over the layers by the spec's allocation.
   */
  public static final List<Double> DEFAULT_RATIOS =
      List.of(0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9);

  /** The default candidate ranks, cut to the model's largest layer side. */
  public static final List<Integer> DEFAULT_RANKS =
      List.of(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096);

  private final Sweep.Settings settings;
  private final double maxDrop;
  private final SearchCriterion criterion;
  private final Optional<List<RankPolicy>> candidates;
  private final int refinementSteps;
  private final Optional<Path> output;
  private final Overwrite overwrite;

  private SmallestModelSearch(Builder b) {
    this.settings = b.settings;
    this.maxDrop = b.maxDrop;
    this.criterion = b.minFidelity != null ? b.minFidelity : new SearchCriterion.MaxDrop(b.maxDrop);
    this.candidates = Optional.ofNullable(b.candidates);
    this.refinementSteps = b.refinementSteps;
    this.output = b.output;
    this.overwrite = b.overwrite;
  }

  /**
   * Starts a builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Runs the search, and writes the chosen model to the output when one is set and a setting
   * passes.
   *
   * @return what was found
   * @throws InputFileException if the model or data cannot be used
   * @throws IOException if a compressed model cannot be written
   */
  public SearchResult run() throws InputFileException, IOException {
    if (output.isPresent()) {
      Compressor.checkOutput(settings.model, output.get(), overwrite);
    }
    try (SweepRunner runner = settings.open()) {
      List<SweepPoint> evaluated = new ArrayList<>();
      String strategy;
      List<List<RankPolicy>> groups =
          candidates
              .map(List::of)
              .orElse(
                  List.of(
                      DEFAULT_ENERGIES.stream().map(RankPolicy::energy).toList(), defaultRanks()));
      List<String> strategies = new ArrayList<>();
      int total = groups.stream().mapToInt(List::size).sum();
      try (Progress.Step step = settings.progress.start("search", total)) {
        for (List<RankPolicy> group : groups) {
          Kind kind = Kind.of(group);
          if (kind == Kind.MIXED) {
            for (RankPolicy p : group) {
              evaluated.add(runner.evaluate(p));
              step.advance(1);
            }
            strategies.add("evaluated every candidate (" + group.size() + ", of mixed kinds)");
          } else {
            strategies.add(bisect(runner, kind, group, evaluated, step));
          }
        }
      }
      strategy = String.join("; ", strategies);
      Optional<SweepPoint> chosen =
          evaluated.stream()
              .filter(criterion::passes)
              .min(Comparator.comparingLong(SweepPoint::parameters));
      if (chosen.isPresent() && output.isPresent()) {
        Compressor.compress(
            settings.model, output.get(), settings.specs.apply(chosen.get().policy()), overwrite);
      }
      return new SearchResult(
          criterion instanceof SearchCriterion.MaxDrop ? maxDrop : Double.NaN,
          chosen,
          runner.result(evaluated),
          strategy,
          criterion);
    }
  }

  private List<RankPolicy> defaultRanks() throws InputFileException {
    int largest;
    try (SourceModel source = ModelFormats.open(settings.model)) {
      largest =
          source.layers().stream()
              .filter(l -> l.lowRank().isEmpty() && l.ineligible().isEmpty())
              .mapToInt(l -> Math.min(l.outFeatures(), l.inFeatures()))
              .max()
              .orElse(0);
    }
    return DEFAULT_RANKS.stream().filter(r -> r < largest).map(RankPolicy::rank).toList();
  }

  private String bisect(
      SweepRunner runner,
      Kind kind,
      List<RankPolicy> group,
      List<SweepPoint> evaluated,
      Progress.Step step)
      throws InputFileException, IOException {
    List<RankPolicy> sorted =
        group.stream().sorted(Comparator.comparingDouble(kind::value)).distinct().toList();
    int lo = -1;
    int hi = sorted.size();
    while (hi - lo > 1) {
      int mid = (lo + hi) >>> 1;
      SweepPoint p = runner.evaluate(sorted.get(mid));
      evaluated.add(p);
      step.advance(1);
      if (criterion.passes(p)) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    int refined = 0;
    if (lo >= 0 && hi < sorted.size()) {
      double vlo = kind.value(sorted.get(lo));
      double vhi = kind.value(sorted.get(hi));
      for (int i = 0; i < refinementSteps; i++) {
        Optional<RankPolicy> mid = kind.between(vlo, vhi);
        if (mid.isEmpty()) {
          break;
        }
        SweepPoint p = runner.evaluate(mid.get());
        evaluated.add(p);
        refined++;
        if (criterion.passes(p)) {
          vhi = kind.value(mid.get());
        } else {
          vlo = kind.value(mid.get());
        }
      }
    }
    return String.format(
        Locale.ROOT,
        "binary search over %d %s sorted ascending (assuming a larger setting is at least as"
            + " accurate), then %d bisection step(s) between the last failing and the first"
            + " passing value; the answer is the passing model with the fewest parameters",
        sorted.size(),
        kind.plural,
        refined);
  }

  /** The kind of the candidates, which decides how to bisect between two of them. */
  private enum Kind {
    ENERGY("energies"),
    RATIO("ratios"),
    RANK("ranks"),
    MIXED("settings");

    final String plural;

    Kind(String plural) {
      this.plural = plural;
    }

    static Kind of(List<RankPolicy> policies) {
      Kind kind = null;
      for (RankPolicy p : policies) {
        Kind k =
            p instanceof RankPolicy.EnergyThreshold
                ? ENERGY
                : p instanceof RankPolicy.ParameterRatio
                    ? RATIO
                    : p instanceof RankPolicy.FixedRank ? RANK : MIXED;
        if (kind != null && kind != k) {
          return MIXED;
        }
        kind = k;
      }
      return kind == null ? MIXED : kind;
    }

    double value(RankPolicy p) {
      if (p instanceof RankPolicy.EnergyThreshold e) {
        return e.energy();
      }
      if (p instanceof RankPolicy.ParameterRatio r) {
        return r.ratio();
      }
      if (p instanceof RankPolicy.FixedRank r) {
        return r.rank();
      }
      return Double.MAX_VALUE;
    }

    Optional<RankPolicy> between(double lo, double hi) {
      switch (this) {
        case ENERGY:
          return hi - lo < 1e-4
              ? Optional.empty()
              : Optional.of(RankPolicy.energy(round((lo + hi) / 2)));
        case RATIO:
          return hi - lo < 1e-4
              ? Optional.empty()
              : Optional.of(RankPolicy.ratio(round((lo + hi) / 2)));
        case RANK:
          int a = (int) lo;
          int b = (int) hi;
          return b - a <= 1 ? Optional.empty() : Optional.of(RankPolicy.rank((a + b) >>> 1));
        default:
          return Optional.empty();
      }
    }

    private static double round(double v) {
      return Math.round(v * 1e5) / 1e5;
    }
  }

  /** Builds a {@link SmallestModelSearch}: {@code set*} is required, {@code opt*} optional. */
  public static final class Builder extends SweepBuilder<Builder> {

    private double maxDrop = Double.NaN;
    private SearchCriterion.MinFidelity minFidelity;
    private List<RankPolicy> candidates;
    private int refinementSteps = 3;
    private Optional<Path> output = Optional.empty();
    private Overwrite overwrite = Overwrite.LOWRANK_OUTPUTS;

    private Builder() {}

    @Override
    protected Builder self() {
      return this;
    }

    /**
     * Sets the largest accuracy drop allowed (required).
     *
     * @param maxAccuracyDrop a fraction in [0, 1] (0.01 = one percentage point)
     * @return this builder
     */
    public Builder setMaxAccuracyDrop(double maxAccuracyDrop) {
      this.maxDrop = maxAccuracyDrop;
      return this;
    }

    /**
     * Instead of an accuracy drop, requires the outputs' fidelity to the original to reach a limit:
     * for models without labels (a sentence encoder's embeddings).
     *
     * @param minFidelity the smallest fidelity, in [0, 1]
     * @param metric the mean cosine of the outputs, or the top-1 agreement
     * @return this builder
     */
    public Builder setMinFidelity(double minFidelity, FidelityMetric metric) {
      this.minFidelity = new SearchCriterion.MinFidelity(minFidelity, metric);
      return this;
    }

    /**
     * Searches one model-wide budget instead of uniform settings: the candidates are the parameter
     * ratios {@link SmallestModelSearch#DEFAULT_RATIOS} with {@link Scope#GLOBAL}, spread over the
     * layers as the spec's allocation says (with calibration: by the whitened spectra, or by the
     * measured sensitivity).
     *
     * @return this builder
     */
    public Builder optGlobalBudget() {
      this.candidates = DEFAULT_RATIOS.stream().map(RankPolicy::ratio).toList();
      Function<RankPolicy, CompressionSpec> specs = settings.specs;
      settings.specs = p -> specs.apply(p).toBuilder().optScope(Scope.GLOBAL).build();
      return this;
    }

    /**
     * Sets the candidate settings (default: a search over {@link
     * SmallestModelSearch#DEFAULT_ENERGIES} and one over {@link
     * SmallestModelSearch#DEFAULT_RANKS}).
     *
     * @param candidates the settings to search
     * @return this builder
     */
    public Builder optCandidates(List<RankPolicy> candidates) {
      this.candidates = List.copyOf(candidates);
      return this;
    }

    /**
     * Sets the number of bisection steps after the binary search (default 3).
     *
     * @param steps at least 0
     * @return this builder
     */
    public Builder optRefinementSteps(int steps) {
      this.refinementSteps = steps;
      return this;
    }

    /**
     * Writes the chosen model here (a directory for DJL, a file for TorchScript).
     *
     * @param output the path, not the input model
     * @return this builder
     */
    public Builder optOutput(Path output) {
      this.output = Optional.of(output);
      return this;
    }

    /**
     * Sets what an existing output may be replaced as (default: only a lowrank output).
     *
     * @param overwrite the rule
     * @return this builder
     */
    public Builder optOverwrite(Overwrite overwrite) {
      this.overwrite = overwrite;
      return this;
    }

    /**
     * Checks and builds the search.
     *
     * @return the search
     * @throws IllegalArgumentException if a required setting is missing or out of range
     */
    public SmallestModelSearch build() {
      settings.validate();
      if (minFidelity == null) {
        Gate.checkLimit(maxDrop);
      } else if (!Double.isNaN(maxDrop)) {
        throw new IllegalArgumentException(
            "Give either a largest accuracy drop or a smallest fidelity, not both");
      }
      if (candidates != null && candidates.isEmpty()) {
        throw new IllegalArgumentException("Give at least one candidate setting");
      }
      if (refinementSteps < 0) {
        throw new IllegalArgumentException("Refinement steps must be >= 0");
      }
      if (output.isPresent()
          && output
              .get()
              .toAbsolutePath()
              .normalize()
              .equals(settings.model.toAbsolutePath().normalize())) {
        throw new IllegalArgumentException(
            output.get() + ": the output is the input model; choose another path");
      }
      return new SmallestModelSearch(this);
    }
  }
}
