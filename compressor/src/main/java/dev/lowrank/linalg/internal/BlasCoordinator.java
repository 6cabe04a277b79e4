package dev.lowrank.linalg.internal;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.bytedeco.openblas.global.openblas;

/**
 * Shares the process-wide OpenBLAS (the one library every BLAS and LAPACK call of lowrank and ND4J
 * goes through) among concurrent users, behind {@link dev.lowrank.linalg.BlasThreads}.
 *
 * <p>OpenBLAS has one thread count for the whole process and reallocates its thread pool when the
 * count changes, which is unsafe while a call runs; and its results depend on the count (float
 * rounding differs between one and two threads). So every call of this package enters through
 * {@link #enter()}, which admits it with the count its caller asked for: that of the calling
 * thread's open lease ({@link #lease}), else the baseline. Calls run concurrently while they want
 * the count OpenBLAS has and their threads fit the processors; the count changes only when no call
 * is in flight. Calls are admitted in arrival order, so none waits for ever. When the last lease
 * has closed and no call is in flight, the baseline count is restored.
 *
 * <p>A lease belongs to the thread that took it and to the threads that thread creates while it is
 * open (an {@link InheritableThreadLocal}), such as the pool a compression factorizes on. A nested
 * call (a backend calling another on the same thread) passes through without waiting again. A
 * thread inside a call must not wait for another thread's call (it may never be admitted while this
 * one runs): work handed to helper threads, such as {@link LargeStack}'s, runs inside the caller's
 * call and must not enter again.
 */
public final class BlasCoordinator {

  private static final ReentrantLock LOCK = new ReentrantLock(true);
  private static final Condition CHANGED = LOCK.newCondition();
  private static final InheritableThreadLocal<Handle> CURRENT = new InheritableThreadLocal<>();
  private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);
  private static final Call NESTED = new Call(0, false);

  // All guarded by LOCK.
  private static int baseline;
  private static int applied;
  private static int inFlight;
  private static int threadsInFlight;
  private static int openLeases;
  private static long nextTicket;
  private static long serving;
  private static long changes;

  private BlasCoordinator() {}

  /** An open call; closing it lets the next ones in. */
  public static final class Call implements AutoCloseable {
    private final int threads;
    private final boolean counted;

    private Call(int threads, boolean counted) {
      this.threads = threads;
      this.counted = counted;
    }

    /**
     * Returns the OpenBLAS threads this call runs with.
     *
     * @return the count, at least 1 (0 for a nested call, which runs with its outer call's)
     */
    public int threads() {
      return threads;
    }

    @Override
    public void close() {
      DEPTH.get()[0]--;
      if (!counted) {
        return;
      }
      LOCK.lock();
      try {
        inFlight--;
        threadsInFlight -= threads;
        restoreBaselineIfIdle();
        CHANGED.signalAll();
      } finally {
        LOCK.unlock();
      }
    }
  }

  /** The state of one lease. */
  public static final class Handle {
    private final int workers;
    private final int perCall;
    private final Handle previous;
    private boolean open = true;

    private Handle(int workers, int perCall, Handle previous) {
      this.workers = workers;
      this.perCall = perCall;
      this.previous = previous;
    }

    /**
     * Returns the workers the lease was taken for.
     *
     * @return at least 1
     */
    public int workers() {
      return workers;
    }

    /**
     * Returns the OpenBLAS threads each call under this lease runs with.
     *
     * @return {@code max(1, processors / workers)}
     */
    public int perCall() {
      return perCall;
    }

    /** Ends the lease; a second call does nothing. */
    public void close() {
      LOCK.lock();
      try {
        if (!open) {
          return;
        }
        open = false;
        openLeases--;
        restoreBaselineIfIdle();
        CHANGED.signalAll();
      } finally {
        LOCK.unlock();
      }
      if (CURRENT.get() == this) {
        CURRENT.set(previous);
      }
    }
  }

  /**
   * Enters a BLAS call: waits until OpenBLAS runs with the count the caller asked for and its
   * threads fit, then returns the open call. Close it when the native work is done.
   *
   * @return the call
   */
  public static Call enter() {
    int[] depth = DEPTH.get();
    if (depth[0] > 0) {
      depth[0]++;
      return NESTED;
    }
    int threads = wanted();
    boolean interrupted = false;
    LOCK.lock();
    try {
      initialize();
      long ticket = nextTicket++;
      while (ticket != serving || !admissible(threads)) {
        try {
          CHANGED.await();
        } catch (InterruptedException e) {
          // Native work cannot be abandoned half-way; keep the interrupt for the caller.
          interrupted = true;
        }
      }
      serving++;
      if (inFlight == 0) {
        // Nothing runs: the one moment the count may change. Read it back from OpenBLAS, in case
        // another library (ND4J) has set it.
        applied = openblas.blas_get_num_threads();
        if (applied != threads) {
          set(threads);
        }
      }
      inFlight++;
      threadsInFlight += threads;
      CHANGED.signalAll();
    } finally {
      LOCK.unlock();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    depth[0]++;
    return new Call(threads, true);
  }

  /**
   * Runs native work as one BLAS call ({@link #enter()}, then the work, then {@link Call#close()}).
   *
   * @param work the work
   * @param <T> its result type
   * @return what the work returned
   */
  public static <T> T call(Supplier<T> work) {
    Call call = enter();
    try {
      return work.get();
    } finally {
      call.close();
    }
  }

  /**
   * Runs native work that returns nothing as one BLAS call, as {@link #call} does.
   *
   * @param work the work
   */
  public static void run(Runnable work) {
    Call call = enter();
    try {
      work.run();
    } finally {
      call.close();
    }
  }

  /**
   * Opens a lease for a pool of {@code workers} threads on the calling thread.
   *
   * @param workers at least 1
   * @return the lease's state
   * @throws IllegalArgumentException if {@code workers < 1}
   */
  public static Handle lease(int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException("a lease needs at least 1 worker, got " + workers);
    }
    LOCK.lock();
    try {
      initialize();
      Handle handle = new Handle(workers, perCallFor(workers), CURRENT.get());
      openLeases++;
      CURRENT.set(handle);
      return handle;
    } finally {
      LOCK.unlock();
    }
  }

  /**
   * Returns {@code max(1, processors / workers)}.
   *
   * @param workers at least 1
   * @return the count
   */
  public static int perCallFor(int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException("parallel calls must be >= 1, got " + workers);
    }
    return Math.max(1, Runtime.getRuntime().availableProcessors() / workers);
  }

  /**
   * Returns the count the calling thread's calls run with: its open lease's, else the baseline.
   *
   * @return at least 1
   */
  public static int wanted() {
    Handle handle = CURRENT.get();
    LOCK.lock();
    try {
      initialize();
      while (handle != null && !handle.open) {
        handle = handle.previous;
      }
      return handle == null ? baseline : handle.perCall;
    } finally {
      LOCK.unlock();
    }
  }

  /**
   * Sets the count of calls outside leases, applied as soon as no call is in flight.
   *
   * @param threads at least 1
   * @throws IllegalArgumentException if {@code threads < 1}
   */
  public static void setBaseline(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("BLAS threads must be >= 1, got " + threads);
    }
    LOCK.lock();
    try {
      initialize();
      baseline = threads;
      if (inFlight == 0 && applied != baseline) {
        set(baseline);
      }
    } finally {
      LOCK.unlock();
    }
  }

  /**
   * Returns the count of calls outside leases.
   *
   * @return at least 1
   */
  public static int baseline() {
    LOCK.lock();
    try {
      initialize();
      return baseline;
    } finally {
      LOCK.unlock();
    }
  }

  /**
   * Returns the count OpenBLAS has now.
   *
   * @return at least 1
   */
  public static int current() {
    LOCK.lock();
    try {
      initialize();
      if (inFlight == 0) {
        applied = openblas.blas_get_num_threads();
      }
      return applied;
    } finally {
      LOCK.unlock();
    }
  }

  /**
   * Returns how many times the OpenBLAS count has been changed, for tests.
   *
   * @return the number of changes since the class was loaded
   */
  public static long changes() {
    LOCK.lock();
    try {
      return changes;
    } finally {
      LOCK.unlock();
    }
  }

  private static boolean admissible(int threads) {
    if (inFlight == 0) {
      return true;
    }
    return applied == threads
        && threadsInFlight + threads <= Runtime.getRuntime().availableProcessors();
  }

  private static void restoreBaselineIfIdle() {
    if (inFlight == 0 && openLeases == 0 && nextTicket == serving && applied != baseline) {
      set(baseline);
    }
  }

  private static void set(int threads) {
    openblas.blas_set_num_threads(threads);
    applied = threads;
    changes++;
  }

  /** Reads the count OpenBLAS started with, once. */
  private static void initialize() {
    if (baseline > 0) {
      return;
    }
    int threads = openblas.blas_get_num_threads();
    if (threads < 1) {
      // The preset reports -1 until the count was set once; set it to what OpenBLAS started with.
      threads = startupCount();
      openblas.blas_set_num_threads(threads);
    }
    baseline = threads;
    applied = threads;
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
