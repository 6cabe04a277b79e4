package dev.lowrank.cli;

import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.LayerRule;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.compress.Scope;
import dev.lowrank.linalg.SvdMethod;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * How the commands that compress apply a rank policy: scope, per-layer rules, SVD method, seed and
 * threads. A mixin of {@code compress} and {@code sweep}; {@link #spec(RankPolicy)} is the one
 * mapping of these options to a {@link CompressionSpec}, naming the option in errors.
 */
public final class CompressionOptions {

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
      paramLabel = "S",
      defaultValue = "0",
      description = "Seed of randomized SVD sketches. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Layers factorized at once (default: cores, at most 4).")
  Integer threads;

  /**
   * Builds the spec of a policy under these options.
   *
   * @param policy the default policy of every layer
   * @return the spec
   * @throws IllegalArgumentException naming the option if a value is invalid
   */
  public CompressionSpec spec(RankPolicy policy) {
    CompressionSpec.Builder b =
        CompressionSpec.builder().setPolicy(policy).optScope(scope).optSvd(svd).optSeed(seed);
    for (String rule : rules) {
      b.optRule(OptionErrors.named("--layer", () -> LayerRule.parse(rule)));
    }
    if (threads != null) {
      if (threads < 1) {
        throw new IllegalArgumentException("--threads: must be at least 1, got " + threads);
      }
      b.optThreads(threads);
    }
    return scope == Scope.GLOBAL ? OptionErrors.named("--scope global", b::build) : b.build();
  }
}
