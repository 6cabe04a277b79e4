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
}
