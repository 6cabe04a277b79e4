package dev.lowrank.linalg.internal;

import org.bytedeco.openblas.global.openblas;

/**
 * The number of threads of the process-wide OpenBLAS (the one library every BLAS and LAPACK call of
 * lowrank and ND4J goes through).
 */
public final class BlasThreads {

  private BlasThreads() {}

  /**
   * Sets the number of threads each OpenBLAS call may use.
   *
   * @param threads at least 1
   */
  public static synchronized void set(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("BLAS threads must be >= 1, got " + threads);
    }
    openblas.blas_set_num_threads(threads);
  }

  /**
   * Returns the number of threads each OpenBLAS call may use.
   *
   * @return the count, at least 1
   */
  public static synchronized int get() {
    int threads = openblas.blas_get_num_threads();
    if (threads < 1) {
      // The preset reports -1 until the count was set once; set it to what OpenBLAS started with.
      openblas.blas_set_num_threads(startupCount());
      threads = openblas.blas_get_num_threads();
    }
    return threads;
  }

  /** The count OpenBLAS starts with: its environment variables, else one per processor. */
  private static int startupCount() {
    for (String variable :
        new String[] {"OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"}) {
      String value = System.getenv(variable);
      if (value != null) {
        try {
          int parsed = Integer.parseInt(value.trim());
          if (parsed > 0) {
            return parsed;
          }
        } catch (NumberFormatException e) {
          // OpenBLAS ignores a value it cannot parse, and so do we.
        }
      }
    }
    return Runtime.getRuntime().availableProcessors();
  }
}
