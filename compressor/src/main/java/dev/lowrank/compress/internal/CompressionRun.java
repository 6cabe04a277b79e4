package dev.lowrank.compress.internal;

import dev.lowrank.compress.Allocation;
import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.DataFit;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.LayerRule;
import dev.lowrank.compress.LayerSpectrum;
import dev.lowrank.compress.LayerStatus;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.compress.Scope;
import dev.lowrank.compress.TruncationMethod;
import dev.lowrank.format.ConvForm;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerKind;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.SourceModel;
import dev.lowrank.io.InputFileException;
import dev.lowrank.linalg.BlasThreads;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdAlgorithm;
import dev.lowrank.linalg.SvdBackend;
import dev.lowrank.linalg.SvdBackends;
import dev.lowrank.linalg.TruncatedSvd;
import java.util.ArrayList;
import java.util.Comparator;
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
  private CalibrationCache.Entry cached;
  private DataAware data;

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
   * @throws dev.lowrank.data.DataFileException if the calibration data cannot be used
   * @throws IllegalArgumentException if the spec does not fit the model (a rule that matches no
   *     layer, a rank above what the layers allow)
   */
  public static Outcome run(
      SourceModel model,
      CompressionSpec spec,
      Optional<String> inputFile,
      Optional<String> inputSha256)
      throws InputFileException {
    return new CompressionRun(model, spec).execute(inputFile, inputSha256);
  }

  private Outcome execute(Optional<String> inputFile, Optional<String> inputSha256)
      throws InputFileException {
    List<Layer> layers = model.layers();
    validate(layers);
    if (spec.calibration().isPresent()) {
      // Calibration statistics are those of linear layers' inputs; convolutions are truncated
      // by their weights.
      List<Layer> calibrated =
          layers.stream().filter(l -> l.factorizable() && l.kind() == LayerKind.LINEAR).toList();
      boolean gram = spec.method() != TruncationMethod.ACTIVATION || fitsInMemory(calibrated);
      cached =
          CalibrationCache.get(
              model, calibrated, spec.calibration().get(), gram, inputFile.isPresent());
      data = new DataAware(cached.statistics, spec.method(), spec.alpha());
    }
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
      Map<String, Double> weights = Map.of();
      if (data == null) {
        for (Layer layer : global) {
          inputs.add(globalInput(layer));
        }
      } else {
        // The data reaches linear layers only: convolutions share the budget by their weights.
        List<Layer> linear = global.stream().filter(l -> l.kind() == LayerKind.LINEAR).toList();
        Map<String, Optional<LayerSpectrum>> spectra = dataSpectra(linear);
        for (Layer layer : global) {
          inputs.add(
              layer.kind() == LayerKind.LINEAR
                  ? new GlobalAllocation.Input(
                      layer, MatrixForm.plain(layer), spectra.get(layer.name()))
                  : globalInput(layer));
        }
        weights = sensitivity(linear);
      }
      Map<String, LayerPlan> allocated = GlobalAllocation.allocate(inputs, weights, spec.policy());
      for (int i = 0; i < plans.size(); i++) {
        if (plans.get(i) == null) {
          plans.set(i, allocated.get(layers.get(i).name()));
        }
      }
    }
    List<LayerResult> results;
    try {
      results = spec.sequential() ? fitSequentially(plans) : factorizeAll(plans);
    } catch (InputFileException | RuntimeException e) {
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
            original - saved,
            data == null ? Optional.empty() : Optional.of(data.statistics().summary()),
            Optional.empty());
    return new Outcome(result, store.view(layers.stream().map(Layer::name).toList()), store);
  }

  /**
   * Sequential fitting of the linear layers; convolutions, which the calibration statistics do not
   * cover, are truncated by their weights as without it.
   */
  private List<LayerResult> fitSequentially(List<LayerPlan> plans) throws InputFileException {
    List<LayerPlan> linear = new ArrayList<>();
    List<LayerPlan> other = new ArrayList<>();
    for (LayerPlan p : plans) {
      if (p.keeps() || p.layer().kind() == LayerKind.LINEAR) {
        linear.add(p);
      } else {
        other.add(p);
      }
    }
    List<LayerResult> fitted = new SequentialFitting(model, spec, data, backend, store).fit(linear);
    List<LayerResult> truncated = factorizeAll(other);
    Map<String, LayerResult> byName = new LinkedHashMap<>();
    fitted.forEach(r -> byName.put(r.name(), r));
    truncated.forEach(r -> byName.put(r.name(), r));
    return plans.stream().map(p -> byName.get(p.layer().name())).toList();
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
    // stays within the machine instead of oversubscribing it. The lease covers the pool created
    // inside it and shares the process-wide OpenBLAS with other compressions in this JVM.
    BlasThreads.Lease lease = BlasThreads.lease(spec.threads());
    try (lease) {
      return factorizeOnPool(plans);
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
        if (data != null && !plan.keeps()) {
          data.expect(plan.layer().name());
        }
      }
      for (LayerPlan plan : plans) {
        futures.add(
            pool.submit(
                () -> {
                  try {
                    return factorize(plan);
                  } finally {
                    if (data != null && !plan.keeps()) {
                      data.done(plan.layer());
                    }
                  }
                }));
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
      return kept(plan);
    }
    FloatMatrix weight = readFinite(model, layer);
    double norm2 = weight.frobeniusNormSquared();
    if (norm2 == 0) {
      return dense(
          layer,
          "its weight is all zeros (rank 0): there is nothing to factorize",
          Optional.empty());
    }
    if (data != null && plan.layer().kind() == LayerKind.LINEAR) {
      Optional<DataAware.Prepared> prepared = data.prepare(layer, weight);
      if (prepared.isPresent()) {
        return factorizeScaled(plan, prepared.get(), norm2);
      }
    }
    Tried best = null;
    String firstReason = null;
    Optional<SvdAlgorithm> lastSvd = Optional.empty();
    for (LayerPlan.Candidate candidate : plan.candidates()) {
      MatrixForm form = candidate.form();
      FloatMatrix w = form.arrange(layer, weight);
      RankTarget target = candidate.target();
      TruncatedSvd svd = backend.decompose(w, target);
      lastSvd = Optional.of(svd.algorithm());
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
      Tried tried = new Tried(form, r, factors, error, svd.energy(r) / norm2, svd.algorithm());
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
        Optional.empty(),
        best.form().form());
  }

  /** One candidate's outcome. */
  private record Tried(
      MatrixForm form,
      int rank,
      LowRankFactors factors,
      double error,
      double energy,
      SvdAlgorithm svd) {

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

  /** The truncation of a layer prepared for a data-aware method. */
  private LayerResult factorizeScaled(LayerPlan plan, DataAware.Prepared p, double norm2) {
    Layer layer = plan.layer();
    FloatMatrix w = p.weight();
    FloatMatrix scaled = data.method() == TruncationMethod.PLAIN ? w : p.scaled();
    RankTarget target = plan.target().get();
    int k = Math.min(scaled.rows(), scaled.cols());
    String note = "";
    if (target instanceof RankTarget.Leading leading && leading.rank() > k) {
      note = " (the data spans only " + k + " input directions)";
      target = RankTarget.leading(k);
    }
    TruncatedSvd svd = backend.decompose(scaled, target);
    int r =
        target instanceof RankTarget.Leading leading
            ? leading.rank()
            : svd.rankForEnergy(plan.energy().orElseThrow());
    long n = layer.outFeatures();
    long m = layer.inFeatures();
    if (!RankRules.pays(r, n, m)) {
      return dense(
          layer,
          RankRules.doesNotPay(spec.policyFor(layer.name()).describe(), r, n, m) + note,
          Optional.of(svd.algorithm()));
    }
    LowRankFactors factors =
        data.method() == TruncationMethod.PLAIN
            ? LowRankFactors.truncate(svd, r)
            : LowRankFactors.projected(svd, w, r);
    double error = factors.residualNorm(w) / Math.sqrt(norm2);
    DataFit fit = data.fit(p, factors, svd, data.method());
    long after = factors.parameters() + (layer.hasBias() ? n : 0);
    store.put(layer.name(), factors);
    double energy =
        data.method() == TruncationMethod.PLAIN ? svd.energy(r) / norm2 : 1 - error * error;
    return new LayerResult(
        layer,
        LayerStatus.FACTORIZED,
        OptionalInt.of(r),
        Optional.empty(),
        layer.parameters(),
        after,
        energy,
        error,
        Optional.of(svd.algorithm()),
        Optional.of(fit),
        Optional.empty());
  }

  /** The spectra a global budget is spread by: of the scaled weights, or of W for plain. */
  private Map<String, Optional<LayerSpectrum>> dataSpectra(List<Layer> layers)
      throws ModelFileException {
    String key = spec.method().cliName() + "/" + spec.alpha();
    Map<String, Optional<LayerSpectrum>> known = cached.spectra.get(key);
    if (known != null && known.keySet().containsAll(layers.stream().map(Layer::name).toList())) {
      return known;
    }
    Map<String, Optional<LayerSpectrum>> out = new LinkedHashMap<>();
    // Group by shared statistics, so that each whitening factor is computed once and then freed.
    List<Layer> ordered = new ArrayList<>(layers);
    ordered.sort(
        Comparator.comparing(
            (Layer l) -> data.statistics().group(l.name()).map(g -> g.leader()).orElse(l.name())));
    for (Layer layer : ordered) {
      data.expect(layer.name());
    }
    for (Layer layer : ordered) {
      try {
        FloatMatrix w = readFinite(model, layer);
        Optional<DataAware.Prepared> p =
            w.frobeniusNormSquared() == 0 ? Optional.empty() : data.prepare(layer, w);
        boolean reached = data.statistics().group(layer.name()).isPresent();
        if (p.isEmpty() && reached) {
          // Its output on the data is zero: no singular value saves any output error.
          out.put(layer.name(), Optional.empty());
        } else if (p.isEmpty() || data.method() == TruncationMethod.PLAIN) {
          out.put(layer.name(), Spectra.of(layer, w));
        } else {
          out.put(layer.name(), Spectra.of(layer, p.get().scaled()));
        }
      } finally {
        data.done(layer);
      }
    }
    cached.spectra.put(key, out);
    return out;
  }

  /** The sensitivity weights of the layers of a global budget, empty for the spectrum alone. */
  private Map<String, Double> sensitivity(List<Layer> layers) throws InputFileException {
    if (spec.allocation() != Allocation.SENSITIVITY) {
      return Map.of();
    }
    String key =
        spec.method().cliName() + "/" + spec.alpha() + "/" + spec.svd() + "/" + spec.seed();
    Map<String, Double> known = cached.sensitivity.get(key);
    if (known != null && known.keySet().containsAll(layers.stream().map(Layer::name).toList())) {
      return known;
    }
    Map<String, Double> measured =
        Sensitivity.measure(
            model, data, layers, dataSpectra(layers), backend, spec.calibration().get());
    cached.sensitivity.put(key, measured);
    return measured;
  }

  /**
   * Returns the spectra of the whitened weights {@code W C} of a model's dense layers on
   * calibration data, for inspect: each group's factor computed once.
   *
   * @param model the model
   * @param calibration the data
   * @return per layer the data reaches, the spectrum of {@code W C}
   * @throws InputFileException if the model cannot be run, a weight read, or the data used
   */
  public static Map<String, LayerSpectrum> dataSpectra(SourceModel model, Calibration calibration)
      throws InputFileException {
    CompressionSpec spec =
        CompressionSpec.builder()
            .setPolicy(RankPolicy.energy(0.9))
            .optCalibration(calibration)
            .optScope(Scope.GLOBAL)
            .build();
    CompressionRun run = new CompressionRun(model, spec);
    List<Layer> dense = model.layers().stream().filter(Layer::factorizable).toList();
    run.cached = CalibrationCache.get(model, dense, calibration, true, true);
    run.data = new DataAware(run.cached.statistics, TruncationMethod.WHITENED, spec.alpha());
    Map<String, LayerSpectrum> out = new LinkedHashMap<>();
    List<Layer> reached =
        dense.stream().filter(l -> run.data.statistics().group(l.name()).isPresent()).toList();
    run.dataSpectra(reached).forEach((k, v) -> v.ifPresent(s -> out.put(k, s)));
    return out;
  }

  /** Whether Gram matrices of every layer fit in the heap, for the activation method's reports. */
  private static boolean fitsInMemory(List<Layer> layers) {
    long bytes = 0;
    for (Layer l : layers) {
      long m = l.inFeatures();
      bytes += 4 * m * (m + 1);
    }
    return bytes < Runtime.getRuntime().maxMemory() / 4;
  }

  /** The entry of a layer the plan leaves as it is. */
  static LayerResult kept(LayerPlan plan) {
    Layer layer = plan.layer();
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

  static LayerResult dense(Layer layer, String reason, Optional<SvdAlgorithm> svd) {
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
