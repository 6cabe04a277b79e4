package dev.lowrank.compress.internal;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.LayerRule;
import dev.lowrank.compress.LayerStatus;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.compress.Scope;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.SourceModel;
import dev.lowrank.linalg.BlasThreads;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackend;
import dev.lowrank.linalg.SvdBackends;
import dev.lowrank.linalg.TruncatedSvd;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
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
   * Compresses a model's linear layers as the spec says.
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
      Map<String, LayerPlan> allocated = GlobalAllocation.allocate(model, global, spec.policy());
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
    for (LayerRule rule : spec.rules()) {
      List<Layer> matched = layers.stream().filter(l -> rule.matches(l.name())).toList();
      if (matched.isEmpty()) {
        throw new IllegalArgumentException(
            "rule '"
                + rule.pattern()
                + "' matches no linear layer; the layers are: "
                + layers.stream().map(Layer::name).collect(Collectors.joining(", ")));
      }
      if (rule.policy() instanceof RankPolicy.FixedRank fixed) {
        for (Layer l : matched) {
          if (spec.policyFor(l.name()) == rule.policy()
              && isCandidate(l)
              && fixed.rank() > Math.min(l.outFeatures(), l.inFeatures())) {
            throw new IllegalArgumentException(
                String.format(
                    Locale.ROOT,
                    "rule '%s=%s': rank %d exceeds min(n, m) = %d of layer %s (%s)",
                    rule.pattern(),
                    rule.policy().describe(),
                    fixed.rank(),
                    Math.min(l.outFeatures(), l.inFeatures()),
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
              .mapToInt(l -> Math.min(l.outFeatures(), l.inFeatures()))
              .max();
      if (largest.isPresent() && fixed.rank() > largest.getAsInt()) {
        throw new IllegalArgumentException(
            "rank "
                + fixed.rank()
                + " exceeds min(n, m) of every linear layer (the largest is "
                + largest.getAsInt()
                + ")");
      }
    }
  }

  private static boolean isCandidate(Layer layer) {
    return layer.factorizable();
  }

  /** Plans that do not depend on the policy: already low-rank and ineligible layers. */
  private Optional<LayerPlan> fixedPlan(Layer layer) {
    if (layer.lowRank().isPresent()) {
      return Optional.of(
          LayerPlan.keep(
              layer, "already factorized at rank " + layer.lowRank().getAsInt() + " in the input"));
    }
    return layer.ineligible().map(reason -> LayerPlan.keep(layer, reason));
  }

  private LayerPlan plan(Layer layer, RankPolicy policy) {
    long n = layer.outFeatures();
    long m = layer.inFeatures();
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
    if (policy instanceof RankPolicy.FixedRank fixed) {
      int r = fixed.rank();
      if (r > Math.min(n, m) || !RankRules.pays(r, n, m)) {
        return LayerPlan.keep(layer, RankRules.doesNotPay(source, r, n, m));
      }
      return LayerPlan.rank(layer, r);
    }
    if (policy instanceof RankPolicy.ParameterRatio ratio) {
      int r = RankRules.rankForRatio(ratio.ratio(), n, m);
      if (r < 1) {
        return LayerPlan.keep(
            layer,
            String.format(
                Locale.ROOT,
                "%s allows no rank: one rank costs n + m = %d weights, more than %.4g x %d",
                source,
                n + m,
                ratio.ratio(),
                n * m));
      }
      if (!RankRules.pays(r, n, m)) {
        return LayerPlan.keep(layer, RankRules.doesNotPay(source, r, n, m));
      }
      return LayerPlan.rank(layer, r);
    }
    RankPolicy.EnergyThreshold energy = (RankPolicy.EnergyThreshold) policy;
    return LayerPlan.energy(layer, energy.energy());
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
    if (plan.target().isEmpty()) {
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
    FloatMatrix w = readFinite(model, layer);
    double norm2 = w.frobeniusNormSquared();
    if (norm2 == 0) {
      return dense(
          layer,
          "its weight is all zeros (rank 0): there is nothing to factorize",
          Optional.empty());
    }
    RankTarget target = plan.target().get();
    TruncatedSvd svd = backend.decompose(w, target);
    int r =
        target instanceof RankTarget.Leading leading
            ? leading.rank()
            : svd.rankForEnergy(plan.energy().orElseThrow());
    long n = layer.outFeatures();
    long m = layer.inFeatures();
    if (!RankRules.pays(r, n, m)) {
      return dense(
          layer,
          RankRules.doesNotPay(spec.policyFor(layer.name()).describe(), r, n, m),
          Optional.of(svd.method()));
    }
    LowRankFactors factors = LowRankFactors.truncate(svd, r);
    double error = factors.residualNorm(w) / Math.sqrt(norm2);
    long after = factors.parameters() + (layer.hasBias() ? n : 0);
    store.put(layer.name(), factors);
    return new LayerResult(
        layer,
        LayerStatus.FACTORIZED,
        OptionalInt.of(r),
        Optional.empty(),
        layer.parameters(),
        after,
        svd.energy(r) / norm2,
        error,
        Optional.of(svd.method()));
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
