package dev.lowrank.compress;

/**
 * How the rank {@code r} of a layer {@code W} (n x m) is chosen.
 *
 * <ul>
 *   <li>{@link FixedRank}: {@code r} as given.
 *   <li>{@link ParameterRatio}: the largest {@code r} with {@code r (n + m) <= ratio * n m}.
 *   <li>{@link EnergyThreshold}: the smallest {@code r} with {@code sum_{i<=r} s_i^2 >= energy *
 *       sum s_i^2}.
 *   <li>{@link KeepDense}: the layer is not factorized.
 * </ul>
 *
 * <p>Whatever the policy, a layer is factorized only when {@code r (n + m) < n m}; otherwise it
 * stays dense and the result says why.
 */
public sealed interface RankPolicy
    permits RankPolicy.FixedRank,
        RankPolicy.ParameterRatio,
        RankPolicy.EnergyThreshold,
        RankPolicy.KeepDense {

  /**
   * A fixed rank.
   *
   * @param rank the rank, at least 1
   */
  record FixedRank(int rank) implements RankPolicy {
    /** Checks the rank. */
    public FixedRank {
      if (rank < 1) {
        throw new IllegalArgumentException("rank must be a positive integer, got " + rank);
      }
    }

    @Override
    public String describe() {
      return "rank " + rank;
    }
  }

  /**
   * Keep at most this share of a layer's weights.
   *
   * @param ratio the share, in (0, 1)
   */
  record ParameterRatio(double ratio) implements RankPolicy {
    /** Checks the ratio. */
    public ParameterRatio {
      if (!(ratio > 0 && ratio < 1)) {
        throw new IllegalArgumentException("ratio must be in (0, 1), got " + ratio);
      }
    }

    @Override
    public String describe() {
      return "ratio " + ratio;
    }
  }

  /**
   * Keep this share of the energy {@code sum s_i^2}.
   *
   * @param energy the share, in (0, 1]
   */
  record EnergyThreshold(double energy) implements RankPolicy {
    /** Checks the share. */
    public EnergyThreshold {
      if (!(energy > 0 && energy <= 1)) {
        throw new IllegalArgumentException("energy must be in (0, 1], got " + energy);
      }
    }

    @Override
    public String describe() {
      return "energy " + energy;
    }
  }

  /** Leave the layer dense. */
  record KeepDense() implements RankPolicy {
    @Override
    public String describe() {
      return "dense";
    }
  }

  /**
   * Returns the policy in the words of the CLI, e.g. {@code "rank 16"} or {@code "energy 0.9"}.
   *
   * @return a short description
   */
  String describe();

  /**
   * A fixed rank.
   *
   * @param rank at least 1
   * @return the policy
   */
  static RankPolicy rank(int rank) {
    return new FixedRank(rank);
  }

  /**
   * A parameter ratio.
   *
   * @param ratio in (0, 1)
   * @return the policy
   */
  static RankPolicy ratio(double ratio) {
    return new ParameterRatio(ratio);
  }

  /**
   * An energy threshold.
   *
   * @param energy in (0, 1]
   * @return the policy
   */
  static RankPolicy energy(double energy) {
    return new EnergyThreshold(energy);
  }

  /**
   * Keeps layers dense.
   *
   * @return the policy
   */
  static RankPolicy dense() {
    return new KeepDense();
  }

  /**
   * Parses the CLI form: {@code rank:16}, {@code ratio:0.25}, {@code energy:0.9} or {@code dense}.
   *
   * @param text the policy text
   * @return the policy
   * @throws IllegalArgumentException if the text is not one of these forms or the value is out of
   *     range
   */
  static RankPolicy parse(String text) {
    String t = text.trim();
    if (t.equals("dense") || t.equals("skip")) {
      return dense();
    }
    int colon = t.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a rank policy; use rank:R, ratio:X, energy:E or dense");
    }
    String kind = t.substring(0, colon);
    String value = t.substring(colon + 1);
    try {
      switch (kind) {
        case "rank":
          return rank(Integer.parseInt(value));
        case "ratio":
          return ratio(Double.parseDouble(value));
        case "energy":
          return energy(Double.parseDouble(value));
        default:
          throw new IllegalArgumentException(
              "'" + kind + "' is not a rank policy; use rank:R, ratio:X, energy:E or dense");
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + value + "' is not a number in '" + text + "'", e);
    }
  }
}
