package dev.lowrank.compress;

import dev.lowrank.finetune.FinetuneSpec;
import dev.lowrank.linalg.SvdMethod;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What to compress and how: the default rank policy, its scope, per-layer rules, the SVD method and
 * the resources to use. Immutable; build one with {@link #builder()}.
 *
 * <pre>{@code
 * CompressionSpec spec = CompressionSpec.builder()
 *     .setPolicy(RankPolicy.energy(0.9))
 *     .optRule("fc3", RankPolicy.dense())        // keep the classifier head dense
 *     .optRule("*.linear1", RankPolicy.rank(16))
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
  private final FinetuneSpec finetune;

  private CompressionSpec(Builder b) {
    this.policy = b.policy;
    this.scope = b.scope;
    this.rules = Collections.unmodifiableList(new ArrayList<>(b.rules));
    this.svd = b.svd;
    this.seed = b.seed;
    this.threads = b.threads;
    this.finetune = b.finetune;
  }

  private CompressionSpec(CompressionSpec base, FinetuneSpec finetune) {
    this.policy = base.policy;
    this.scope = base.scope;
    this.rules = base.rules;
    this.svd = base.svd;
    this.seed = base.seed;
    this.threads = base.threads;
    this.finetune = finetune;
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
    return new CompressionSpec(this, java.util.Objects.requireNonNull(finetune, "finetune"));
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
   * Returns the settings as the manifest records them (policy, scope, rules, svd, seed).
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
    private FinetuneSpec finetune;

    private Builder() {}

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
      if (svd == null || scope == null) {
        throw new IllegalArgumentException("svd and scope must not be null");
      }
      return new CompressionSpec(this);
    }
  }
}
