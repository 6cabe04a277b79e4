package dev.lowrank.linalg;

/**
 * What a truncated SVD must deliver: a fixed number of leading singular triplets, or enough of them
 * to capture a share of the matrix's energy ({@code sum s_i^2 = ||W||_F^2}).
 */
public sealed interface RankTarget permits RankTarget.Leading, RankTarget.Energy {

  /**
   * The leading {@code rank} singular triplets.
   *
   * @param rank number of triplets, at least 1 and at most {@code min(rows, cols)}
   */
  record Leading(int rank) implements RankTarget {
    /** Checks the rank. */
    public Leading {
      if (rank < 1) {
        throw new IllegalArgumentException("rank must be >= 1, got " + rank);
      }
    }
  }

  /**
   * The fewest leading triplets whose squared singular values sum to at least {@code fraction *
   * ||W||_F^2}.
   *
   * @param fraction the share of energy to capture, in (0, 1]
   */
  record Energy(double fraction) implements RankTarget {
    /** Checks the fraction. */
    public Energy {
      if (!(fraction > 0 && fraction <= 1)) {
        throw new IllegalArgumentException("energy fraction must be in (0, 1], got " + fraction);
      }
    }
  }

  /**
   * Asks for the leading {@code rank} triplets.
   *
   * @param rank number of triplets
   * @return the target
   */
  static RankTarget leading(int rank) {
    return new Leading(rank);
  }

  /**
   * Asks for enough triplets to capture {@code fraction} of the energy.
   *
   * @param fraction share in (0, 1]
   * @return the target
   */
  static RankTarget energy(double fraction) {
    return new Energy(fraction);
  }
}
