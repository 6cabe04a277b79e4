package dev.lowrank.compress;

import dev.lowrank.finetune.FinetuneSpec;
import dev.lowrank.linalg.SvdMethod;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What to compress and how: the default rank policy, its scope, per-layer rules, the SVD method and
 * the resources to use, and for a data-aware compression the calibration data, the truncation
 * method ({@link TruncationMethod}), sequential fitting and how a global budget is allocated.
 * Immutable; build one with {@link #builder()}.
 *
 * <pre>{@code
 * CompressionSpec spec = CompressionSpec.builder()
 *     .setPolicy(RankPolicy.energy(0.9))
 *     .optRule("fc3", RankPolicy.dense())        // keep the classifier head dense
 *     .optRule("*.linear1", RankPolicy.rank(16))
 *     .optConv(true)                              // convolutions too, each in its better form
 *     .build();
 * }</pre>
 */
public final class CompressionSpec {

  private final RankPolicy policy;
  private final Scope scope;
  private final List<LayerRule> rules;
  private final SvdMethod svd;
  private final long seed;
  private final int threads;
  private final Optional<Calibration> calibration;
  private final TruncationMethod method;
  private final TruncationMethod methodSet;
  private final double alpha;
  private final boolean sequential;
  private final Allocation allocation;
  private final boolean conv;
  private final ConvFormChoice convForm;
  private final FinetuneSpec finetune;

  private CompressionSpec(Builder b) {
    this.policy = b.policy;
    this.scope = b.scope;
    this.rules = Collections.unmodifiableList(new ArrayList<>(b.rules));
    this.svd = b.svd;
    this.seed = b.seed;
    this.threads = b.threads;
    this.calibration = Optional.ofNullable(b.calibration);
    this.method =
        b.method != null
            ? b.method
            : b.calibration != null ? TruncationMethod.WHITENED : TruncationMethod.PLAIN;
    this.methodSet = b.method;
    this.alpha = b.alpha;
    this.sequential = b.sequential;
    this.allocation = b.allocation;
    this.conv = b.conv;
    this.convForm = b.convForm;
    this.finetune = b.finetune;
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
   * Returns the default policy for layers no rule matches.
   *
   * @return the default policy
   */
  public RankPolicy policy() {
    return policy;
  }

  /**
   * Returns whether the default policy applies per layer or globally.
   *
   * @return the scope
   */
  public Scope scope() {
    return scope;
  }

  /**
   * Returns the per-layer rules in the order they are tried.
   *
   * @return an unmodifiable list
   */
  public List<LayerRule> rules() {
    return rules;
  }

  /**
   * Returns the SVD method.
   *
   * @return the method
   */
  public SvdMethod svd() {
    return svd;
  }

  /**
   * Returns the seed of the randomized SVD's sketches.
   *
   * @return the seed
   */
  public long seed() {
    return seed;
  }

  /**
   * Returns how many layers are factorized at once.
   *
   * @return the thread count, at least 1
   */
  public int threads() {
    return threads;
  }

  /**
   * Returns the calibration data, for a data-aware compression.
   *
   * @return the calibration, or empty
   */
  public Optional<Calibration> calibration() {
    return calibration;
  }

  /**
   * Returns the truncation method: the one set, else {@link TruncationMethod#WHITENED} with
   * calibration and {@link TruncationMethod#PLAIN} without.
   *
   * @return the method
   */
  public TruncationMethod method() {
    return method;
  }

  /**
   * Returns the exponent of {@link TruncationMethod#ACTIVATION}'s scaling {@code s^alpha}.
   *
   * @return alpha (default 0.5)
   */
  public double alpha() {
    return alpha;
  }

  /**
   * Returns whether layers are fitted one after the other to the original model's outputs, each on
   * the inputs it receives with the earlier layers compressed.
   *
   * @return {@code true} for sequential fitting
   */
  public boolean sequential() {
    return sequential;
  }

  /**
   * Returns how a global budget is allocated.
   *
   * @return the allocation (default {@link Allocation#SPECTRUM})
   */
  public Allocation allocation() {
    return allocation;
  }

  /**
   * Returns a builder holding these settings, to derive a spec that differs in some.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b =
        builder().setPolicy(policy).optScope(scope).optSvd(svd).optSeed(seed).optThreads(threads);
    rules.forEach(b::optRule);
    calibration.ifPresent(b::optCalibration);
    b.method = methodSet;
    b.alpha = alpha;
    b.sequential = sequential;
    b.allocation = allocation;
    b.conv = conv;
    b.convForm = convForm;
    b.finetune = finetune;
    return b;
  }

  /**
   * Returns whether convolutions are factorized too (off by default: then only linear layers are,
   * as before convolutions were supported, and convolutions stay dense with that reason).
   *
   * @return {@code true} if convolutions are compressed
   */
  public boolean conv() {
    return conv;
  }

  /**
   * Returns the form convolutions are factorized in, when {@link #conv()} is on.
   *
   * @return the form choice (default {@link ConvFormChoice#AUTO})
   */
  public ConvFormChoice convForm() {
    return convForm;
  }

  /**
   * Returns how the factors are fine-tuned after truncation, if they are.
   *
   * @return the fine-tuning settings, empty for truncation only
   */
  public Optional<FinetuneSpec> finetune() {
    return Optional.ofNullable(finetune);
  }

  /**
   * Returns this spec with fine-tuning after truncation (for callers handed a built spec).
   *
   * @param finetune the data and training settings
   * @return a new spec, otherwise the same
   */
  public CompressionSpec withFinetune(FinetuneSpec finetune) {
    return toBuilder().optFinetune(java.util.Objects.requireNonNull(finetune, "finetune")).build();
  }

  /**
   * Returns the policy for a layer: the first matching rule's, else the default.
   *
   * @param layerName the layer's name
   * @return the policy that applies
   */
  public RankPolicy policyFor(String layerName) {
    for (LayerRule rule : rules) {
      if (rule.matches(layerName)) {
        return rule.policy();
      }
    }
    return policy;
  }

  /**
   * Returns whether a rule, rather than the default policy, decides a layer.
   *
   * @param layerName the layer's name
   * @return {@code true} if some rule matches it
   */
  public boolean hasRuleFor(String layerName) {
    return rules.stream().anyMatch(r -> r.matches(layerName));
  }

  /**
   * Returns the settings as the manifest records them (policy, scope, rules, svd, seed, and the
   * convolution form when convolutions are compressed).
   *
   * @return an ordered map of setting names to values
   */
  public Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("policy", policy.describe());
    s.put("scope", scope.name().toLowerCase(java.util.Locale.ROOT));
    List<String> r = new ArrayList<>();
    for (LayerRule rule : rules) {
      r.add(rule.pattern() + "=" + rule.policy().describe());
    }
    s.put("rules", String.join(", ", r));
    s.put("svd", svd.cliName());
    s.put("seed", Long.toString(seed));
    if (calibration.isPresent() || method != TruncationMethod.PLAIN) {
      s.put("method", method.cliName());
      if (method == TruncationMethod.ACTIVATION) {
        s.put("alpha", Double.toString(alpha));
      }
      s.put("sequential", Boolean.toString(sequential));
      if (scope == Scope.GLOBAL) {
        s.put("allocation", allocation.cliName());
      }
      calibration.ifPresent(c -> s.put("calibration", c.describe()));
    }
    if (conv) {
      s.put("conv", convForm.cliName());
    }
    return s;
  }

  @Override
  public String toString() {
    return "CompressionSpec" + settings();
  }

  /** Builds a {@link CompressionSpec}: {@code set*} is required, {@code opt*} optional. */
  public static final class Builder {

    private RankPolicy policy;
    private Scope scope = Scope.LAYER;
    private final List<LayerRule> rules = new ArrayList<>();
    private SvdMethod svd = SvdMethod.AUTO;
    private long seed = 0;
    private int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    private Calibration calibration;
    private TruncationMethod method;
    private double alpha = 0.5;
    private boolean sequential;
    private Allocation allocation = Allocation.SPECTRUM;
    private boolean conv;
    private ConvFormChoice convForm = ConvFormChoice.AUTO;
    private FinetuneSpec finetune;

    private Builder() {}

    /**
     * Sets calibration data: the compression becomes data-aware, {@link TruncationMethod#WHITENED}
     * unless another method is set.
     *
     * @param calibration the data
     * @return this builder
     */
    public Builder optCalibration(Calibration calibration) {
      this.calibration = calibration;
      return this;
    }

    /**
     * Sets whether convolutions are factorized too (default off: only linear layers are).
     *
     * @param conv {@code true} to compress convolutions
     * @return this builder
     */
    public Builder optConv(boolean conv) {
      this.conv = conv;
      return this;
    }

    /**
     * Sets the truncation method (default: whitened with calibration, plain without).
     *
     * @param method the method
     * @return this builder
     */
    public Builder optMethod(TruncationMethod method) {
      this.method = method;
      return this;
    }

    /**
     * Sets the exponent of {@link TruncationMethod#ACTIVATION}'s scaling (default 0.5).
     *
     * @param alpha in (0, 2]
     * @return this builder
     */
    public Builder optAlpha(double alpha) {
      this.alpha = alpha;
      return this;
    }

    /**
     * Fits the layers one after the other, each to reproduce the original model's output from the
     * inputs it receives with the earlier layers already compressed (needs calibration).
     *
     * @param sequential whether to fit sequentially
     * @return this builder
     */
    public Builder optSequential(boolean sequential) {
      this.sequential = sequential;
      return this;
    }

    /**
     * Sets how a global budget is allocated (default {@link Allocation#SPECTRUM}).
     *
     * @param allocation the allocation
     * @return this builder
     */
    public Builder optAllocation(Allocation allocation) {
      this.allocation = allocation;
      return this;
    }

    /**
     * Sets the form of factorized convolutions (default {@link ConvFormChoice#AUTO}); only used
     * with {@link #optConv(boolean) optConv(true)}.
     *
     * @param convForm channel, spatial or auto
     * @return this builder
     */
    public Builder optConvForm(ConvFormChoice convForm) {
      this.convForm = convForm;
      return this;
    }

    /**
     * Sets the default policy (required).
     *
     * @param policy the policy for layers no rule matches
     * @return this builder
     */
    public Builder setPolicy(RankPolicy policy) {
      this.policy = policy;
      return this;
    }

    /**
     * Sets the scope of the default policy (default {@link Scope#LAYER}).
     *
     * @param scope per layer or global
     * @return this builder
     */
    public Builder optScope(Scope scope) {
      this.scope = scope;
      return this;
    }

    /**
     * Adds a per-layer rule; rules are tried in the order added.
     *
     * @param rule the rule
     * @return this builder
     */
    public Builder optRule(LayerRule rule) {
      rules.add(rule);
      return this;
    }

    /**
     * Adds a per-layer rule.
     *
     * @param pattern a glob over layer names
     * @param policy the policy for matching layers
     * @return this builder
     */
    public Builder optRule(String pattern, RankPolicy policy) {
      return optRule(new LayerRule(pattern, policy));
    }

    /**
     * Sets the SVD method (default {@link SvdMethod#AUTO}).
     *
     * @param svd the method
     * @return this builder
     */
    public Builder optSvd(SvdMethod svd) {
      this.svd = svd;
      return this;
    }

    /**
     * Sets the seed of randomized sketches (default 0), so results are reproducible.
     *
     * @param seed the seed
     * @return this builder
     */
    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Sets how many layers are factorized at once (default: the cores, at most 4).
     *
     * @param threads at least 1
     * @return this builder
     */
    public Builder optThreads(int threads) {
      this.threads = threads;
      return this;
    }

    /**
     * Fine-tunes the factors after truncation, before they are written (default: truncation only).
     * Only models DJL can train in Java are accepted (DJL block models, TorchScript files).
     *
     * @param finetune the data and training settings
     * @return this builder
     */
    public Builder optFinetune(FinetuneSpec finetune) {
      this.finetune = java.util.Objects.requireNonNull(finetune, "finetune");
      return this;
    }

    /**
     * Checks the settings and builds the spec.
     *
     * @return the spec
     * @throws IllegalArgumentException if no policy was set, the threads are below 1, or a fixed
     *     rank is asked for globally
     */
    public CompressionSpec build() {
      if (policy == null) {
        throw new IllegalArgumentException(
            "No rank policy: call setPolicy(RankPolicy.rank(r) | ratio(x) | energy(e))");
      }
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be >= 1, got " + threads);
      }
      if (scope == Scope.GLOBAL
          && !(policy instanceof RankPolicy.ParameterRatio
              || policy instanceof RankPolicy.EnergyThreshold)) {
        throw new IllegalArgumentException(
            "A global scope needs a ratio or energy policy, not " + policy.describe());
      }
      if (svd == null || scope == null || allocation == null || convForm == null) {
        throw new IllegalArgumentException("svd, scope, allocation and convForm must not be null");
      }
      TruncationMethod m = method != null ? method : TruncationMethod.PLAIN;
      if (m.needsData() && calibration == null) {
        throw new IllegalArgumentException(
            "The " + m.cliName() + " method needs calibration data: call optCalibration");
      }
      if (sequential && calibration == null) {
        throw new IllegalArgumentException("Sequential fitting needs calibration data");
      }
      if (sequential && method == TruncationMethod.ACTIVATION) {
        throw new IllegalArgumentException(
            "Sequential fitting is a regression on the inputs' Gram matrices; use the whitened"
                + " method with it, not activation");
      }
      if (allocation == Allocation.SENSITIVITY && (calibration == null || scope != Scope.GLOBAL)) {
        throw new IllegalArgumentException(
            "The sensitivity allocation spreads a global budget on calibration data: it needs"
                + " calibration and a global scope");
      }
      if (!(alpha > 0 && alpha <= 2)) {
        throw new IllegalArgumentException(
            String.format(Locale.ROOT, "alpha must be in (0, 2], got %s", alpha));
      }
      if (conv && finetune != null) {
        throw new IllegalArgumentException(
            "Fine-tuning trains the factors of linear layers, not of convolutions: compress with"
                + " either convolutions (--conv) or fine-tuning (--finetune)");
      }
      return new CompressionSpec(this);
    }
  }
}
