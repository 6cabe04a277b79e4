package dev.lowrank.compress.internal;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.LayerRule;
import dev.lowrank.compress.LayerSpectrum;
import dev.lowrank.compress.LayerStatus;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.compress.Scope;
import dev.lowrank.format.ConvForm;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerKind;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.SourceModel;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackend;
import dev.lowrank.linalg.SvdBackends;
import dev.lowrank.linalg.TruncatedSvd;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * One compression of one model: checks the spec against the model's layers, plans each layer,
 * factorizes the chosen ones on a bounded pool, and accounts for every parameter.
 */
public final class CompressionRun {

  /**
   * The result of a run and the factors to write; closing it deletes factors spilled to disk.
   *
   * @param result the per-layer report and totals
   * @param factors the factors of each factorized layer, by name, in model order
   * @param store where the factors are held
   */
  public record Outcome(
      CompressionResult result, Map<String, LowRankFactors> factors, FactorStore store)
      implements AutoCloseable {
    @Override
    public void close() {
      store.close();
    }

    /**
     * Returns the form of each convolution factorized by this run, the form its factors are in.
     *
     * @return by layer name, in model order
     */
    public Map<String, ConvForm> forms() {
      Map<String, ConvForm> forms = new LinkedHashMap<>();
      for (LayerResult r : result.layers()) {
        if (r.factorized() && r.form().isPresent()) {
          forms.put(r.name(), r.form().get());
        }
      }
      return forms;
    }
  }

  private final SourceModel model;
  private final CompressionSpec spec;
  private final SvdBackend backend;
  private final FactorStore store = FactorStore.forHeap();

  private CompressionRun(SourceModel model, CompressionSpec spec) {
    this.model = model;
    this.spec = spec;
    this.backend = SvdBackends.create(spec.svd(), spec.seed());
  }

  /**
   * Compresses a model's linear layers (and convolutions, when the spec says so) as the spec says.
   *
   * @param model the opened model
   * @param spec the settings
   * @param inputFile the input's file name for the manifest, if any
   * @param inputSha256 the input's SHA-256, if any
   * @return the result and the factors
   * @throws ModelFileException if a weight cannot be read or holds NaN or infinite values
   * @throws IllegalArgumentException if the spec does not fit the model (a rule that matches no
   *     layer, a rank above what the layers allow)
   */
  public static Outcome run(
      SourceModel model,
      CompressionSpec spec,
      Optional<String> inputFile,
      Optional<String> inputSha256)
      throws ModelFileException {
    return new CompressionRun(model, spec).execute(inputFile, inputSha256);
  }

  private Outcome execute(Optional<String> inputFile, Optional<String> inputSha256)
      throws ModelFileException {
    List<Layer> layers = model.layers();
    validate(layers);
    List<LayerPlan> plans = new ArrayList<>();
    List<Layer> global = new ArrayList<>();
    for (Layer layer : layers) {
      Optional<LayerPlan> fixed = fixedPlan(layer);
      if (fixed.isPresent()) {
        plans.add(fixed.get());
      } else if (spec.scope() == Scope.GLOBAL && !spec.hasRuleFor(layer.name())) {
        global.add(layer);
        plans.add(null);
      } else {
        plans.add(plan(layer, spec.policyFor(layer.name())));
      }
    }
    if (!global.isEmpty()) {
      List<GlobalAllocation.Input> inputs = new ArrayList<>();
      for (Layer layer : global) {
        inputs.add(globalInput(layer));
      }
      Map<String, LayerPlan> allocated = GlobalAllocation.allocate(inputs, spec.policy());
      for (int i = 0; i < plans.size(); i++) {
        if (plans.get(i) == null) {
          plans.set(i, allocated.get(layers.get(i).name()));
        }
      }
    }
    List<LayerResult> results;
    try {
      results = factorizeAll(plans);
    } catch (ModelFileException | RuntimeException e) {
      store.close();
      throw e;
    }
    long saved = 0;
    for (LayerResult r : results) {
      saved += r.parametersBefore() - r.parametersAfter();
    }
    long original = model.parameterCount();
    CompressionResult result =
        new CompressionResult(
            dev.lowrank.compress.Compressor.version(),
            model.format().name(),
            inputFile,
            inputSha256,
            spec.settings(),
            results,
            original,
            original - saved);
    return new Outcome(result, store.view(layers.stream().map(Layer::name).toList()), store);
  }

  private void validate(List<Layer> layers) {
    String what = spec.conv() ? "layer" : "linear layer";
    for (LayerRule rule : spec.rules()) {
      List<Layer> matched = layers.stream().filter(l -> rule.matches(l.name())).toList();
      if (matched.isEmpty()) {
        throw new IllegalArgumentException(
            "rule '"
                + rule.pattern()
                + "' matches no "
                + what
                + "; the layers are: "
                + layers.stream().map(Layer::name).collect(Collectors.joining(", ")));
      }
      if (rule.policy() instanceof RankPolicy.FixedRank fixed) {
        for (Layer l : matched) {
          if (spec.policyFor(l.name()) == rule.policy()
              && isCandidate(l)
              && fixed.rank() > maxRank(l)) {
            throw new IllegalArgumentException(
                String.format(
                    Locale.ROOT,
                    "rule '%s=%s': rank %d exceeds min(n, m) = %d of layer %s (%s)",
                    rule.pattern(),
                    rule.policy().describe(),
                    fixed.rank(),
                    maxRank(l),
                    l.name(),
                    l.shape()));
          }
        }
      }
    }
    if (spec.policy() instanceof RankPolicy.FixedRank fixed) {
      OptionalInt largest =
          layers.stream()
              .filter(l -> isCandidate(l) && !spec.hasRuleFor(l.name()))
              .mapToInt(this::maxRank)
              .max();
      if (largest.isPresent() && fixed.rank() > largest.getAsInt()) {
        throw new IllegalArgumentException(
            "rank "
                + fixed.rank()
                + " exceeds min(n, m) of every "
                + what
                + " (the largest is "
                + largest.getAsInt()
                + ")");
      }
    }
  }

  private boolean isCandidate(Layer layer) {
    return layer.factorizable() && (layer.kind() != LayerKind.CONV2D || spec.conv());
  }

  /** The largest rank any form the layer may take allows. */
  private int maxRank(Layer layer) {
    return forms(layer).stream().mapToInt(MatrixForm::maxRank).max().orElse(0);
  }

  /**
   * The matrix forms a layer may be factorized in: its own matrix, or the convolution forms the
   * spec allows and the format writes (only the channel form for a kernel one column wide, whose
   * spatial form is its channel form transposed).
   */
  private List<MatrixForm> forms(Layer layer) {
    if (layer.kind() != LayerKind.CONV2D) {
      return List.of(MatrixForm.plain(layer));
    }
    Set<ConvForm> writable = model.convForms(layer);
    if (layer.conv().orElseThrow().kernelWidth() == 1) {
      // Its spatial form is the channel form transposed: the same factorization, one form.
      return writable.contains(ConvForm.CHANNEL)
          ? List.of(MatrixForm.of(layer, ConvForm.CHANNEL))
          : List.of();
    }
    List<MatrixForm> out = new ArrayList<>();
    for (ConvForm f : ConvForm.values()) {
      boolean wanted = spec.convForm().fixed().map(f::equals).orElse(true);
      if (wanted && writable.contains(f)) {
        out.add(MatrixForm.of(layer, f));
      }
    }
    return out;
  }

  /** Plans that do not depend on the policy: already low-rank and ineligible layers. */
  private Optional<LayerPlan> fixedPlan(Layer layer) {
    if (layer.lowRank().isPresent()) {
      return Optional.of(
          LayerPlan.keep(
              layer,
              "already factorized at rank "
                  + layer.lowRank().getAsInt()
                  + layer.form().map(f -> " (" + f.label() + " form)").orElse("")
                  + " in the input"));
    }
    if (layer.ineligible().isPresent()) {
      return layer.ineligible().map(reason -> LayerPlan.keep(layer, reason));
    }
    if (layer.kind() == LayerKind.CONV2D && !spec.conv()) {
      return Optional.of(
          LayerPlan.keep(
              layer, "a convolution: convolutions are factorized only with --conv (optConv)"));
    }
    if (layer.kind() == LayerKind.CONV2D && forms(layer).isEmpty()) {
      return Optional.of(
          LayerPlan.keep(
              layer,
              "the "
                  + model.format().name()
                  + " format does not write the "
                  + spec.convForm().cliName()
                  + " form of a convolution"));
    }
    return Optional.empty();
  }

  private LayerPlan plan(Layer layer, RankPolicy policy) {
    String source =
        spec.hasRuleFor(layer.name())
            ? "rule " + ruleFor(layer.name()).pattern() + "=" + policy.describe()
            : policy.describe();
    if (policy instanceof RankPolicy.KeepDense) {
      return LayerPlan.keep(
          layer,
          "kept dense by "
              + (spec.hasRuleFor(layer.name())
                  ? "rule " + ruleFor(layer.name()).pattern() + "=dense"
                  : "the default policy"));
    }
    List<MatrixForm> forms = forms(layer);
    if (policy instanceof RankPolicy.EnergyThreshold energy) {
      List<LayerPlan.Candidate> candidates = new ArrayList<>();
      for (MatrixForm f : forms) {
        candidates.add(
            new LayerPlan.Candidate(
                f, RankTarget.energy(energy.energy()), Optional.of(energy.energy())));
      }
      return new LayerPlan(layer, candidates, true, Optional.empty());
    }
    List<LayerPlan.Candidate> candidates = new ArrayList<>();
    String firstReason = null;
    for (MatrixForm f : forms) {
      long n = f.rows();
      long m = f.cols();
      int r;
      if (policy instanceof RankPolicy.FixedRank fixed) {
        // --rank R is the rank of the one form chosen; when two compete, the second gets the
        // weights the first (the layer's own matrix) has at rank R.
        r =
            f == forms.get(0)
                ? fixed.rank()
                : (int)
                    Math.min(fixed.rank() * forms.get(0).rankCost() / f.rankCost(), f.maxRank());
        if (r < 1 || r > f.maxRank() || !RankRules.pays(r, n, m)) {
          firstReason =
              firstReason != null
                  ? firstReason
                  : RankRules.doesNotPay(source, r, n, m) + f.suffix();
          continue;
        }
      } else {
        RankPolicy.ParameterRatio ratio = (RankPolicy.ParameterRatio) policy;
        r = RankRules.rankForRatio(ratio.ratio(), n, m);
        if (r < 1) {
          firstReason =
              firstReason != null
                  ? firstReason
                  : String.format(
                          Locale.ROOT,
                          "%s allows no rank: one rank costs n + m = %d weights, more than %.4g x"
                              + " %d",
                          source,
                          n + m,
                          ratio.ratio(),
                          n * m)
                      + f.suffix();
          continue;
        }
        if (!RankRules.pays(r, n, m)) {
          firstReason =
              firstReason != null
                  ? firstReason
                  : RankRules.doesNotPay(source, r, n, m) + f.suffix();
          continue;
        }
      }
      candidates.add(new LayerPlan.Candidate(f, RankTarget.leading(r), Optional.empty()));
    }
    if (candidates.isEmpty()) {
      return LayerPlan.keep(layer, firstReason);
    }
    return new LayerPlan(layer, candidates, false, Optional.empty());
  }

  /**
   * The form and spectrum a layer takes part in a global budget with: for a convolution whose form
   * is chosen per layer, the form that does better at the global policy's level applied to the
   * layer alone.
   */
  private GlobalAllocation.Input globalInput(Layer layer) throws ModelFileException {
    List<MatrixForm> forms = forms(layer);
    FloatMatrix w = readFinite(model, layer);
    GlobalAllocation.Input best = null;
    double bestScore = Double.POSITIVE_INFINITY;
    for (MatrixForm f : forms) {
      Optional<LayerSpectrum> spectrum = Spectra.of(layer, f.arrange(layer, w));
      GlobalAllocation.Input input = new GlobalAllocation.Input(layer, f, spectrum);
      double score = forms.size() == 1 ? 0 : localScore(f, spectrum);
      if (best == null || score < bestScore) {
        best = input;
        bestScore = score;
      }
    }
    return best;
  }

  /** Lower is better: the error at the ratio's rank, or the weights the energy needs. */
  private double localScore(MatrixForm f, Optional<LayerSpectrum> spectrum) {
    if (spectrum.isEmpty()) {
      return 0;
    }
    LayerSpectrum s = spectrum.get();
    if (spec.policy() instanceof RankPolicy.EnergyThreshold energy) {
      return (double) s.rankForEnergy(energy.energy()) * f.rankCost();
    }
    double ratio = ((RankPolicy.ParameterRatio) spec.policy()).ratio();
    int r = Math.max(0, RankRules.rankForRatio(ratio, f.rows(), f.cols()));
    float[] values = s.singularValues();
    double kept = 0;
    for (int i = 0; i < Math.min(r, values.length); i++) {
      kept += (double) values[i] * values[i];
    }
    return Math.max(0, 1 - kept / s.frobeniusNormSquared());
  }

  private LayerRule ruleFor(String name) {
    return spec.rules().stream().filter(r -> r.matches(name)).findFirst().orElseThrow();
  }

  private List<LayerResult> factorizeAll(List<LayerPlan> plans) throws ModelFileException {
    // Several layers at once, each with its share of the cores: OpenBLAS threads times pool threads
    // stays within the machine instead of oversubscribing it.
    int blasBefore = SvdBackends.blasThreads();
    SvdBackends.setBlasThreads(SvdBackends.blasThreadsFor(spec.threads()));
    try {
      return factorizeOnPool(plans);
    } finally {
      SvdBackends.setBlasThreads(blasBefore);
    }
  }

  private List<LayerResult> factorizeOnPool(List<LayerPlan> plans) throws ModelFileException {
    ExecutorService pool =
        Executors.newFixedThreadPool(
            spec.threads(),
            r -> {
              Thread t = new Thread(r, "lowrank-svd");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<LayerResult>> futures = new ArrayList<>();
      for (LayerPlan plan : plans) {
        futures.add(pool.submit(() -> factorize(plan)));
      }
      List<LayerResult> results = new ArrayList<>();
      for (Future<LayerResult> f : futures) {
        results.add(f.get());
      }
      return results;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ModelFileException mfe) {
        throw mfe;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while factorizing", e);
    } finally {
      pool.shutdownNow();
    }
  }

  private LayerResult factorize(LayerPlan plan) throws ModelFileException {
    Layer layer = plan.layer();
    if (plan.keeps()) {
      LayerStatus status =
          layer.lowRank().isPresent() ? LayerStatus.LOW_RANK_INPUT : LayerStatus.DENSE;
      return new LayerResult(
          layer,
          status,
          layer.lowRank(),
          plan.reason(),
          layer.parameters(),
          layer.parameters(),
          1.0,
          0.0,
          Optional.empty());
    }
    FloatMatrix weight = readFinite(model, layer);
    double norm2 = weight.frobeniusNormSquared();
    if (norm2 == 0) {
      return dense(
          layer,
          "its weight is all zeros (rank 0): there is nothing to factorize",
          Optional.empty());
    }
    Tried best = null;
    String firstReason = null;
    Optional<String> lastSvd = Optional.empty();
    for (LayerPlan.Candidate candidate : plan.candidates()) {
      MatrixForm form = candidate.form();
      FloatMatrix w = form.arrange(layer, weight);
      RankTarget target = candidate.target();
      TruncatedSvd svd = backend.decompose(w, target);
      lastSvd = Optional.of(svd.method());
      int r =
          target instanceof RankTarget.Leading leading
              ? leading.rank()
              : svd.rankForEnergy(candidate.energy().orElseThrow());
      long n = form.rows();
      long m = form.cols();
      if (!RankRules.pays(r, n, m)) {
        if (firstReason == null) {
          firstReason =
              RankRules.doesNotPay(spec.policyFor(layer.name()).describe(), r, n, m)
                  + form.suffix();
        }
        continue;
      }
      LowRankFactors factors = LowRankFactors.truncate(svd, r);
      double error = factors.residualNorm(w) / Math.sqrt(norm2);
      Tried tried = new Tried(form, r, factors, error, svd.energy(r) / norm2, svd.method());
      if (best == null || tried.betterThan(best, plan.fewerWeights())) {
        best = tried;
      }
    }
    if (best == null) {
      return dense(layer, firstReason, lastSvd);
    }
    long after = best.factors().parameters() + (layer.hasBias() ? layer.outFeatures() : 0);
    store.put(layer.name(), best.factors());
    return new LayerResult(
        layer,
        LayerStatus.FACTORIZED,
        OptionalInt.of(best.rank()),
        Optional.empty(),
        layer.parameters(),
        after,
        best.energy(),
        best.error(),
        Optional.of(best.svd()),
        best.form().form());
  }

  /** One candidate's outcome. */
  private record Tried(
      MatrixForm form, int rank, LowRankFactors factors, double error, double energy, String svd) {

    boolean betterThan(Tried other, boolean fewerWeights) {
      long mine = factors.parameters();
      long theirs = other.factors.parameters();
      if (fewerWeights && mine != theirs) {
        return mine < theirs;
      }
      if (error != other.error) {
        return error < other.error;
      }
      return mine < theirs;
    }
  }

  private static LayerResult dense(Layer layer, String reason, Optional<String> svd) {
    return new LayerResult(
        layer,
        LayerStatus.DENSE,
        OptionalInt.empty(),
        Optional.of(reason),
        layer.parameters(),
        layer.parameters(),
        1.0,
        0.0,
        svd);
  }

  /** Reads a layer's weight and refuses NaN or infinite values. */
  static FloatMatrix readFinite(SourceModel model, Layer layer) throws ModelFileException {
    FloatMatrix w = model.readWeight(layer);
    if (!w.isFinite()) {
      throw new ModelFileException(
          model.path() == null ? java.nio.file.Path.of("model") : model.path(),
          layer.kind().label()
              + " layer "
              + layer.name()
              + " has NaN or infinite weights; fix or retrain the model before compressing it");
    }
    return w;
  }
}
