package dev.lowrank.linalg;

/**
 * The algorithm that produced one {@link TruncatedSvd}: what a {@link SvdMethod} ran for a given
 * matrix and target (the automatic method picks per matrix, the randomized one falls back to the
 * exact SVD where it would cost more). Reports and manifests record its {@link #label()}.
 */
public enum SvdAlgorithm {
  /** LAPACK's divide-and-conquer SVD ({@code sgesdd}) of the whole matrix. */
  EXACT("exact"),
  /** Randomized SVD for a fixed rank (Halko, Martinsson, Tropp 2011). */
  RANDOMIZED("randomized"),
  /** The fixed-precision blocked randQB for an energy target (Yu, Gu, Li 2018). */
  RANDOMIZED_FIXED_PRECISION("randomized-fixed-precision"),
  /** The exact SVD run by the randomized backend where it was predicted to be cheaper. */
  EXACT_FALLBACK("exact-fallback");

  private final String label;

  SvdAlgorithm(String label) {
    this.label = label;
  }

  /**
   * Returns the name reports and manifests use.
   *
   * @return e.g. {@code exact} or {@code randomized-fixed-precision}
   */
  public String label() {
    return label;
  }

  /**
   * Returns the algorithm a label names.
   *
   * @param label a {@link #label()}
   * @return the algorithm
   * @throws IllegalArgumentException if no algorithm has that label
   */
  public static SvdAlgorithm parse(String label) {
    for (SvdAlgorithm a : values()) {
      if (a.label.equals(label)) {
        return a;
      }
    }
    throw new IllegalArgumentException("Unknown SVD algorithm '" + label + "'");
  }

  @Override
  public String toString() {
    return label;
  }
}
