package dev.lowrank.linalg;

/** Which truncated SVD the compressor runs per layer. */
public enum SvdMethod {
  /** LAPACK's divide-and-conquer SVD ({@code sgesdd}) of the whole matrix. */
  EXACT,
  /**
   * Randomized SVD (Halko, Martinsson, Tropp 2011) for a fixed rank, or the fixed-precision blocked
   * randQB (Yu, Gu, Li 2018) for an energy threshold.
   */
  RANDOMIZED,
  /** Picks per layer by shape and rank; the result names the method each layer used. */
  AUTO;

  /**
   * Returns the lower-case name used by the CLI and reports.
   *
   * @return {@code exact}, {@code randomized} or {@code auto}
   */
  public String cliName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * Returns the method a lower-case name spells, as {@link #cliName()} gives it.
   *
   * @param name {@code exact}, {@code randomized} or {@code auto}
   * @return the method
   * @throws IllegalArgumentException naming the known methods if the name is unknown
   */
  public static SvdMethod parse(String name) {
    for (SvdMethod m : values()) {
      if (m.cliName().equals(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "Unknown SVD method '" + name + "'; use one of exact, randomized, auto.");
  }
}
