package dev.lowrank.linalg;

import dev.lowrank.linalg.internal.LapackExactSvd;

/**
 * The factory of {@link SvdBackend}s: callers ask for a method by name and never name an
 * implementation class.
 */
public final class SvdBackends {

  private SvdBackends() {}

  /**
   * Returns the exact backend: LAPACK {@code sgesdd} on the whole matrix.
   *
   * @return the exact backend
   */
  public static SvdBackend exact() {
    return new LapackExactSvd();
  }

  /**
   * Returns a backend by its CLI name.
   *
   * @param name {@code exact}
   * @param seed the seed of randomized sketches
   * @return the backend
   * @throws IllegalArgumentException for an unknown name
   */
  public static SvdBackend named(String name, long seed) {
    if (name.equals("exact") || name.equals("auto")) {
      return exact();
    }
    throw new IllegalArgumentException("Unknown SVD method '" + name + "'; use exact");
  }
}
