package dev.lowrank.linalg.internal;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs native work on threads with a large stack.
 *
 * <p>OpenBLAS's multi-threaded LU ({@code getrf_parallel}) keeps per-thread job arrays on the
 * caller's stack, recursively; with this OpenBLAS build it needs between 3 and 4 MiB, and a Java
 * thread has 1 MiB by default, so the JVM dies with a segmentation fault (OpenBLAS issues #1082 and
 * #3229). Callers cannot be expected to pass {@code -Xss}, so the randomized SVD hands its work to
 * one of these threads (reserved with {@link #STACK_BYTES}, committed only as far as it is touched)
 * and waits for it. The threads are daemons, reused, and end after a minute idle.
 *
 * <p>Tasks run inside their caller's {@link BlasCoordinator.Call} and must not enter the
 * coordinator themselves: the caller holds its place, and a second entry from another thread could
 * wait for it for ever.
 */
final class LargeStack {

  /** The stack reserved per worker thread: eight times what the deepest LU measured needs. */
  static final long STACK_BYTES = 32L << 20;

  private static final AtomicInteger COUNT = new AtomicInteger();

  private static final ExecutorService WORKERS =
      Executors.newCachedThreadPool(
          task -> {
            Thread thread =
                new Thread(null, task, "lowrank-linalg-" + COUNT.incrementAndGet(), STACK_BYTES);
            thread.setDaemon(true);
            return thread;
          });

  private LargeStack() {}

  /**
   * Returns {@code task.get()}, computed on a large-stack thread; the calling thread waits (an
   * interrupt is kept for later, since native work cannot be stopped half-way).
   *
   * @throws RuntimeException or Error whatever the task threw
   */
  static <T> T call(Supplier<T> task) {
    Future<T> result = WORKERS.submit(task::get);
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return result.get();
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof RuntimeException runtime) {
            throw runtime;
          }
          if (cause instanceof Error error) {
            throw error;
          }
          throw new IllegalStateException("unexpected checked exception", cause);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
