package dev.lowrank.cli;

import dev.lowrank.compress.RankPolicy;
import picocli.CommandLine.Option;

/**
 * The rank policy of every layer: one of {@code --rank}, {@code --ratio}, {@code --energy}. Used as
 * an exclusive {@code @ArgGroup} directly in each command that takes it (not inside a mixin, where
 * picocli lists its options twice in {@code --help}), so two of them are refused while parsing.
 *
 * <p>Also the one mapping from these options, and from {@code sweep}'s lists of them, to a {@link
 * RankPolicy}: an out-of-range value fails with the option named, e.g. {@code --rank: rank must be
 * a positive integer, got 0}.
 */
public class PolicyChoice {

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
      description = "Smallest rank keeping this share of sum s_i^2, E in (0, 1]; e.g. 0.9 or 0.99.")
  Double energy;

  /**
   * Returns whether one of the policy options was given.
   *
   * @return {@code true} if --rank, --ratio or --energy was set
   */
  public boolean hasPolicy() {
    return rank != null || ratio != null || energy != null;
  }

  /**
   * Returns the policy the options name.
   *
   * @return the policy
   * @throws IllegalArgumentException naming the option if none was given or the value is out of
   *     range
   */
  public RankPolicy policy() {
    if (rank != null) {
      return rank("--rank", rank);
    }
    if (ratio != null) {
      return ratio("--ratio", ratio);
    }
    if (energy != null) {
      return energy("--energy", energy);
    }
    throw new IllegalArgumentException("give one of --rank R, --ratio X or --energy E");
  }

  /**
   * Maps a rank given to an option.
   *
   * @param option the option, for the error message
   * @param rank the rank
   * @return the policy
   * @throws IllegalArgumentException naming the option if the rank is not positive
   */
  static RankPolicy rank(String option, int rank) {
    return OptionErrors.named(option, () -> RankPolicy.rank(rank));
  }

  /**
   * Maps a parameter ratio given to an option.
   *
   * @param option the option, for the error message
   * @param ratio the ratio
   * @return the policy
   * @throws IllegalArgumentException naming the option if the ratio is not in (0, 1)
   */
  static RankPolicy ratio(String option, double ratio) {
    return OptionErrors.named(option, () -> RankPolicy.ratio(ratio));
  }

  /**
   * Maps an energy threshold given to an option.
   *
   * @param option the option, for the error message
   * @param energy the threshold
   * @return the policy
   * @throws IllegalArgumentException naming the option if the threshold is not in (0, 1]
   */
  static RankPolicy energy(String option, double energy) {
    return OptionErrors.named(option, () -> RankPolicy.energy(energy));
  }
}
