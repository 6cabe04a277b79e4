package dev.lowrank.linalg;

import dev.lowrank.linalg.internal.BlasCoordinator;

/**
 * The threads of the process-wide OpenBLAS that every backend runs on, shared safely by concurrent
 * users of this package: several compressions in one JVM, each factorizing on its own pool.
 *
 * <p>Code that factorizes on a pool of {@code P} workers takes a lease around that work:
 *
 * <pre>{@code
 * try (BlasThreads.Lease lease = BlasThreads.lease(workers)) {
 *   // create the pool here and factorize on it
 * }
 * }</pre>
 *
 * <p>Every BLAS call made under the lease, by the thread that took it or by a thread that thread
 * created while the lease was open (such as a pool created inside the block), runs with {@link
 * Lease#perCall()} {@code = max(1, processors / P)} OpenBLAS threads: {@code P} concurrent calls
 * with more would oversubscribe the cores, and OpenBLAS threads spin while they wait ({@code
 * docs/linalg.md}). Calls outside any lease run with the {@link #baseline()} count.
 *
 * <p>The count is process-wide in OpenBLAS, changing it while a call runs is unsafe (OpenBLAS
 * reallocates its thread pool), and results depend on it in the last float32 bits. So the package
 * admits each call only while OpenBLAS runs with the count that call asked for and the threads of
 * the calls in flight fit the processors, and changes the count only when no call is in flight.
 * Calls are admitted in arrival order. A compression's results therefore depend only on its own
 * settings, never on what else runs in the JVM; compressions with different counts take turns, and
 * those with the same count share the cores. When the last lease has closed and the last call has
 * returned, OpenBLAS is back at the baseline count.
 *
 * <p>Libraries that call OpenBLAS themselves (ND4J) are not coordinated.
 */
public final class BlasThreads {

  private BlasThreads() {}

  /**
   * Opens a lease for factorizing on a pool of {@code workers} threads; see the class comment.
   *
   * @param workers the pool's size, at least 1
   * @return the open lease; close it when the pool's work is done
   * @throws IllegalArgumentException if {@code workers < 1}
   */
  public static Lease lease(int workers) {
    return new Lease(BlasCoordinator.lease(workers));
  }

  /**
   * Returns the OpenBLAS threads per call that keep {@code workers} concurrent factorizations
   * within this machine's processors, {@code max(1, processors / workers)}: what a lease for {@code
   * workers} gives each call.
   *
   * @param workers how many factorizations run at once, at least 1
   * @return the count, at least 1
   * @throws IllegalArgumentException if {@code workers < 1}
   */
  public static int perCallFor(int workers) {
    return BlasCoordinator.perCallFor(workers);
  }

  /**
   * Returns the OpenBLAS threads the calling thread's calls run with: its lease's count, else the
   * baseline.
   *
   * @return the count, at least 1
   */
  public static int perCall() {
    return BlasCoordinator.wanted();
  }

  /**
   * Sets the OpenBLAS threads of calls outside leases (by default what OpenBLAS started with:
   * {@code OPENBLAS_NUM_THREADS}, else one per processor). Safe at any time: the count changes as
   * soon as no call is in flight.
   *
   * @param threads at least 1
   * @throws IllegalArgumentException if {@code threads < 1}
   */
  public static void setBaseline(int threads) {
    BlasCoordinator.setBaseline(threads);
  }

  /**
   * Returns the OpenBLAS threads of calls outside leases.
   *
   * @return the count, at least 1
   */
  public static int baseline() {
    return BlasCoordinator.baseline();
  }

  /**
   * Returns the thread count OpenBLAS has now: that of the calls in flight, else of the last ones.
   *
   * @return the count, at least 1
   */
  public static int current() {
    return BlasCoordinator.current();
  }

  /** An open lease on OpenBLAS threads for one pool of workers; close it when the work is done. */
  public static final class Lease implements AutoCloseable {
    private final BlasCoordinator.Handle handle;

    private Lease(BlasCoordinator.Handle handle) {
      this.handle = handle;
    }

    /**
     * Returns the workers the lease was taken for.
     *
     * @return at least 1
     */
    public int workers() {
      return handle.workers();
    }

    /**
     * Returns the OpenBLAS threads each call under this lease runs with.
     *
     * @return {@code max(1, processors / workers)}
     */
    public int perCall() {
      return handle.perCall();
    }

    /** Ends the lease; closing it again does nothing. */
    @Override
    public void close() {
      handle.close();
    }
  }
}
