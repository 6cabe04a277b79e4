package dev.lowrank.cli;

import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.LayerRule;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.compress.Scope;
import dev.lowrank.linalg.SvdMethod;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * The options that choose ranks, shared by the commands that compress: one of {@code --rank},
 * {@code --ratio}, {@code --energy}, plus scope, per-layer rules and the SVD method.
 */
public final class PolicyOptions {

  /** Exactly one default policy. */
  static final class Choice {
    @Option(
        names = "--rank",
        paramLabel = "R",
        description = "Factorize each layer to rank R (layers where R(n+m) >= nm stay dense).")
    Integer rank;

    @Option(
        names = "--ratio",
        paramLabel = "X",
        description = "Keep at most this share of each layer's weights, X in (0, 1).")
    Double ratio;

    @Option(
        names = "--energy",
        paramLabel = "E",
        description =
            "Smallest rank keeping this share of sum s_i^2, E in (0, 1]; e.g. 0.9 or 0.99.")
    Double energy;

    RankPolicy policy() {
      if (rank != null) {
        return RankPolicy.rank(rank);
      }
      if (ratio != null) {
        return RankPolicy.ratio(ratio);
      }
      return RankPolicy.energy(energy);
    }
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Choice choice;

  @Option(
      names = "--scope",
      paramLabel = "layer|global",
      defaultValue = "layer",
      description =
          "Apply --ratio/--energy to each layer on its own (layer) or as one model-wide budget"
              + " (global). Default: ${DEFAULT-VALUE}.")
  Scope scope;

  @Option(
      names = "--layer",
      paramLabel = "PATTERN=POLICY",
      description =
          "Per-layer override, first match wins; POLICY is rank:R, ratio:X, energy:E or dense."
              + " PATTERN is a glob over layer names, e.g. --layer 'fc3=dense' --layer"
              + " '*.linear1=rank:8'.")
  List<String> rules = new ArrayList<>();

  @Option(
      names = "--svd",
      paramLabel = "exact|randomized|auto",
      defaultValue = "auto",
      description = "SVD algorithm; auto picks per layer. Default: ${DEFAULT-VALUE}.")
  SvdMethod svd;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Seed of randomized SVD sketches. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Layers factorized at once (default: cores, at most 4).")
  Integer threads;

  /**
   * Returns whether a default policy was given.
   *
   * @return {@code true} if one of --rank, --ratio, --energy was set
   */
  public boolean hasPolicy() {
    return choice != null;
  }

  /**
   * Builds the spec with the given default policy.
   *
   * @param policy the default policy
   * @return the spec
   * @throws IllegalArgumentException if an option value is out of range
   */
  public CompressionSpec spec(RankPolicy policy) {
    CompressionSpec.Builder b =
        CompressionSpec.builder().setPolicy(policy).optScope(scope).optSvd(svd).optSeed(seed);
    for (String rule : rules) {
      b.optRule(LayerRule.parse(rule));
    }
    if (threads != null) {
      b.optThreads(threads);
    }
    return b.build();
  }

  /**
   * Builds the spec from --rank, --ratio or --energy.
   *
   * @return the spec
   * @throws IllegalArgumentException if no policy was given or a value is out of range
   */
  public CompressionSpec spec() {
    if (choice == null) {
      throw new IllegalArgumentException("give one of --rank R, --ratio X or --energy E");
    }
    return spec(optionChecked(choice));
  }

  private static RankPolicy optionChecked(Choice c) {
    try {
      return c.policy();
    } catch (IllegalArgumentException e) {
      String option = c.rank != null ? "--rank" : c.ratio != null ? "--ratio" : "--energy";
      throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
    }
  }
}
