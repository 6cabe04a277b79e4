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
import dev.lowrank.format.ConvGeometry;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerKind;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.SourceModel;
import dev.lowrank.io.InputFileException;
import dev.lowrank.linalg.BlasThreads;
import dev.lowrank.linalg.ConvKernels;
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
import java.util.concurrent.ConcurrentHashMap;
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

  /** Why a convolution's data-aware truncation took the form it did, when the plan decided it. */
  private final Map<String, String> formNotes = new ConcurrentHashMap<>();

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
      // The statistics of linear layers' inputs and, with --conv, of convolutions' input patches.
      List<Layer> calibrated =
          layers.stream()
              .filter(l -> isCandidate(l) && (l.kind() != LayerKind.CONV2D || !forms(l).isEmpty()))
              .toList();
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
        // The data weighs linear layers and convolutions in the channel form, whose spectrum on
        // the data is that of W C; a convolution the spec keeps spatial (or any, with plain)
        // shares the budget by its weights, its form chosen as without data.
        List<Layer> weighed = global.stream().filter(this::dataWeighed).toList();
        Map<String, Optional<LayerSpectrum>> spectra = dataSpectra(weighed);
        for (Layer layer : global) {
          if (!weighed.contains(layer)) {
            inputs.add(globalInput(layer));
            continue;
          }
          inputs.add(
              new GlobalAllocation.Input(
                  layer, MatrixForm.plain(layer), spectra.get(layer.name())));
          if (forms(layer).size() > 1) {
            formNotes.put(
                layer.name(),
                "channel form: a global budget on calibration data spends it by the spectrum on"
                    + " the data, which only the channel form has");
          }
        }
        weights = sensitivity(weighed);
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
   * Sequential fitting of the linear layers and of the convolutions in the channel form (the
   * regression on input patches is exact for it); convolutions planned in the spatial form alone
   * are truncated by their weights as without it.
   */
  private List<LayerResult> fitSequentially(List<LayerPlan> plans) throws InputFileException {
    List<LayerPlan> fitted = new ArrayList<>();
    List<LayerPlan> other = new ArrayList<>();
    for (LayerPlan p : plans) {
      if (p.keeps() || isChannel(p.candidates().get(0).form())) {
        fitted.add(p);
        if (!p.keeps() && p.candidates().size() > 1) {
          formNotes.put(
              p.layer().name(),
              "channel form: sequential fitting is exact for the channel form only");
        }
      } else {
        other.add(p);
      }
    }
    List<LayerResult> sequential =
        new SequentialFitting(model, spec, data, backend, store).fit(fitted);
    List<LayerResult> truncated = factorizeAll(other);
    Map<String, LayerResult> byName = new LinkedHashMap<>();
    sequential.forEach(r -> byName.put(r.name(), withFormNote(r)));
    truncated.forEach(r -> byName.put(r.name(), r));
    return plans.stream().map(p -> byName.get(p.layer().name())).toList();
  }

  /** A sequentially fitted result with the note on its form, when the plan made one. */
  private LayerResult withFormNote(LayerResult r) {
    String note = formNotes.get(r.name());
    if (note == null || r.data().isEmpty()) {
      return r;
    }
    return new LayerResult(
        r.layer(),
        r.status(),
        r.rank(),
        r.reason(),
        r.parametersBefore(),
        r.parametersAfter(),
        r.energyKept(),
        r.relativeError(),
        r.svd(),
        r.data().map(d -> d.withNote(note)),
        r.form());
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

  /**
   * Whether a layer of a global budget is weighed by its spectrum on the data: a linear layer, or a
   * convolution that may take the channel form under a data-aware method.
   */
  private boolean dataWeighed(Layer layer) {
    if (layer.kind() == LayerKind.LINEAR) {
      return true;
    }
    return data.method() != TruncationMethod.PLAIN
        && forms(layer).stream().anyMatch(CompressionRun::isChannel);
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
    // The data reaches a linear layer's matrix and a convolution's channel form (its input
    // patches whiten it); the spatial form is truncated by its weights and measured on the data.
    Optional<DataAware.Prepared> prepared =
        data == null ? Optional.empty() : data.prepare(layer, weight);
    List<LayerPlan.Candidate> candidates = plan.candidates();
    Optional<String> note = Optional.empty();
    boolean aware = prepared.isPresent() && data.method() != TruncationMethod.PLAIN;
    if (aware && candidates.size() > 1 && plan.fewerWeights()) {
      // An energy on the data is a share of sum s_i(W C)^2, which only the channel form has.
      candidates = candidates.stream().filter(c -> isChannel(c.form())).toList();
      note =
          Optional.of(
              "channel form: with calibration, only its truncation keeps a share of the output"
                  + " energy on the data");
    }
    Tried best = null;
    List<Tried> tried = new ArrayList<>();
    String firstReason = null;
    Optional<SvdAlgorithm> lastSvd = Optional.empty();
    for (LayerPlan.Candidate candidate : candidates) {
      Attempt attempt =
          prepared.isPresent() && isChannel(candidate.form())
              ? scaledAttempt(layer, candidate, prepared.get(), norm2)
              : weightAttempt(layer, candidate, weight, norm2, prepared);
      lastSvd = Optional.of(attempt.svd());
      if (attempt.tried().isEmpty()) {
        firstReason = firstReason != null ? firstReason : attempt.reason();
        continue;
      }
      Tried t = attempt.tried().get();
      tried.add(t);
      if (best == null || t.betterThan(best, plan.fewerWeights())) {
        best = t;
      }
    }
    if (aware && tried.size() > 1 && tried.stream().allMatch(Tried::hasDataError)) {
      // With calibration, the form that loses less of the layer's output on the data.
      best = tried.stream().min(Comparator.comparingDouble(Tried::dataError)).orElseThrow();
      Tried chosen = best;
      note =
          Optional.of(
              tried.stream()
                  .filter(t -> t != chosen)
                  .map(
                      t ->
                          String.format(
                              Locale.ROOT,
                              "chosen over %s (data error %.4f)",
                              t.form().form().map(ConvForm::label).orElse("its matrix"),
                              t.dataError()))
                  .collect(Collectors.joining(", ")));
    } else if (aware && tried.size() > 1) {
      note =
          Optional.of(
              "form chosen by the weights' error: without a Gram matrix the forms are not"
                  + " measured on the data");
    }
    if (best == null) {
      return dense(layer, firstReason, lastSvd);
    }
    if (aware
        && best.fit().isPresent()
        && note.isEmpty()
        && best.form().form().filter(f -> f != ConvForm.CHANNEL).isPresent()) {
      note =
          Optional.of(
              "spatial form: truncated by its weights (no whitening is exact for it)"
                  + (best.hasDataError() ? ", measured on the data" : ""));
    }
    note = note.or(() -> Optional.ofNullable(formNotes.get(layer.name())));
    long after = best.factors().parameters() + (layer.hasBias() ? layer.outFeatures() : 0);
    store.put(layer.name(), best.factors());
    Optional<String> text = note;
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
        best.fit().map(f -> text.map(f::withNote).orElse(f)),
        best.form().form());
  }

  private static boolean isChannel(MatrixForm form) {
    return form.form().isEmpty() || form.form().get() == ConvForm.CHANNEL;
  }

  /** One candidate's outcome: its factors, or why it does not pay. */
  private record Attempt(Optional<Tried> tried, String reason, SvdAlgorithm svd) {}

  /** One candidate's factors and figures. */
  private record Tried(
      MatrixForm form,
      int rank,
      LowRankFactors factors,
      double error,
      double energy,
      SvdAlgorithm svd,
      Optional<DataFit> fit) {

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

    boolean hasDataError() {
      return fit.isPresent() && !Double.isNaN(fit.get().dataError());
    }

    double dataError() {
      return fit.map(DataFit::dataError).orElse(Double.NaN);
    }
  }

  /**
   * The truncated SVD of a candidate's matrix by its weights; with calibration, the factors are
   * measured on the data (a convolution's spatial form through the channel form of its product).
   */
  private Attempt weightAttempt(
      Layer layer,
      LayerPlan.Candidate candidate,
      FloatMatrix weight,
      double norm2,
      Optional<DataAware.Prepared> prepared) {
    MatrixForm form = candidate.form();
    FloatMatrix w = form.arrange(layer, weight);
    RankTarget target = candidate.target();
    TruncatedSvd svd = backend.decompose(w, target);
    int r =
        target instanceof RankTarget.Leading leading
            ? leading.rank()
            : svd.rankForEnergy(candidate.energy().orElseThrow());
    long n = form.rows();
    long m = form.cols();
    if (!RankRules.pays(r, n, m)) {
      return new Attempt(
          Optional.empty(),
          RankRules.doesNotPay(spec.policyFor(layer.name()).describe(), r, n, m) + form.suffix(),
          svd.algorithm());
    }
    LowRankFactors factors = LowRankFactors.truncate(svd, r);
    double error = factors.residualNorm(w) / Math.sqrt(norm2);
    Optional<DataFit> fit =
        prepared.map(p -> data.measure(p, channelProduct(layer, form, factors)));
    return new Attempt(
        Optional.of(
            new Tried(form, r, factors, error, svd.energy(r) / norm2, svd.algorithm(), fit)),
        "",
        svd.algorithm());
  }

  /** {@code B A} as the matrix {@link SourceModel#readWeight} returns (a channel form). */
  private static FloatMatrix channelProduct(Layer layer, MatrixForm form, LowRankFactors factors) {
    FloatMatrix product = factors.product();
    if (isChannel(form)) {
      return product;
    }
    ConvGeometry g = layer.conv().orElseThrow();
    return ConvKernels.spatialToChannel(
        product, g.outChannels(), g.kernelHeight(), g.kernelWidth());
  }

  /**
   * The data-aware truncation of a layer's own matrix (a convolution's channel form): the SVD of
   * the scaled matrix, the factors projected onto {@code W}, their fit on the data.
   */
  private Attempt scaledAttempt(
      Layer layer, LayerPlan.Candidate candidate, DataAware.Prepared p, double norm2) {
    FloatMatrix w = p.weight();
    FloatMatrix scaled = data.method() == TruncationMethod.PLAIN ? w : p.scaled();
    RankTarget target = candidate.target();
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
            : svd.rankForEnergy(candidate.energy().orElseThrow());
    long n = layer.outFeatures();
    long m = layer.inFeatures();
    if (!RankRules.pays(r, n, m)) {
      return new Attempt(
          Optional.empty(),
          RankRules.doesNotPay(spec.policyFor(layer.name()).describe(), r, n, m)
              + note
              + candidate.form().suffix(),
          svd.algorithm());
    }
    LowRankFactors factors =
        data.method() == TruncationMethod.PLAIN
            ? LowRankFactors.truncate(svd, r)
            : LowRankFactors.projected(svd, w, r);
    double error = factors.residualNorm(w) / Math.sqrt(norm2);
    DataFit fit = data.fit(p, factors, svd, data.method());
    double energy =
        data.method() == TruncationMethod.PLAIN ? svd.energy(r) / norm2 : 1 - error * error;
    return new Attempt(
        Optional.of(
            new Tried(
                candidate.form(), r, factors, error, energy, svd.algorithm(), Optional.of(fit))),
        "",
        svd.algorithm());
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
