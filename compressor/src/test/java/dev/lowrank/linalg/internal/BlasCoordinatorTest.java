package dev.lowrank.linalg.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.linalg.BlasThreads;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackend;
import dev.lowrank.linalg.SvdBackends;
import dev.lowrank.linalg.TestMatrices;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.bytedeco.openblas.global.openblas;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BlasCoordinatorTest {

  private static final int PROCESSORS = Runtime.getRuntime().availableProcessors();

  @AfterEach
  void everythingIsBackAtTheBaseline() {
    assertEquals(BlasThreads.baseline(), BlasThreads.current());
    assertEquals(BlasThreads.baseline(), openblas.blas_get_num_threads());
    assertEquals(BlasThreads.baseline(), BlasThreads.perCall());
  }

  @Test
  void aLeaseGivesEachCallItsShareOfTheProcessors() {
    try (BlasThreads.Lease one = BlasThreads.lease(1)) {
      assertEquals(PROCESSORS, one.perCall());
      assertEquals(PROCESSORS, BlasThreads.perCall());
      try (BlasThreads.Lease many = BlasThreads.lease(PROCESSORS + 1)) {
        assertEquals(1, many.perCall());
        assertEquals(1, BlasThreads.perCall(), "the innermost lease counts");
      }
      assertEquals(PROCESSORS, BlasThreads.perCall(), "the outer lease again");
    }
    assertEquals(Math.max(1, PROCESSORS / 2), BlasThreads.perCallFor(2));
    assertThrows(IllegalArgumentException.class, () -> BlasThreads.lease(0));
    assertThrows(IllegalArgumentException.class, () -> BlasThreads.perCallFor(0));
    assertThrows(IllegalArgumentException.class, () -> BlasThreads.setBaseline(0));
  }

  @Test
  void closingALeaseTwiceIsHarmless() {
    BlasThreads.Lease lease = BlasThreads.lease(3);
    lease.close();
    lease.close();
    assertEquals(3, lease.workers());
  }

  @Test
  void threadsCreatedUnderALeaseInheritItThreadsCreatedBeforeDoNot() throws Exception {
    AtomicInteger before = new AtomicInteger();
    CountDownLatch leased = new CountDownLatch(1);
    Thread older =
        new Thread(
            () -> {
              try {
                leased.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              before.set(BlasThreads.perCall());
            });
    older.start();
    AtomicInteger inherited = new AtomicInteger();
    try (BlasThreads.Lease lease = BlasThreads.lease(PROCESSORS + 5)) {
      assertEquals(1, lease.perCall());
      Thread child = new Thread(() -> inherited.set(BlasThreads.perCall()));
      child.start();
      child.join();
      leased.countDown();
      older.join();
    }
    assertEquals(1, inherited.get());
    assertEquals(BlasThreads.baseline(), before.get());
    AtomicInteger afterClose = new AtomicInteger();
    AtomicReference<Thread> late = new AtomicReference<>();
    BlasThreads.Lease closed = BlasThreads.lease(PROCESSORS + 5);
    try (closed) {
      late.set(new Thread(() -> afterClose.set(BlasThreads.perCall())));
    }
    // Created under the lease, started after it closed: the closed lease no longer counts.
    late.get().start();
    late.get().join();
    assertEquals(BlasThreads.baseline(), afterClose.get());
  }

  @Test
  void aCallWantingAnotherCountWaitsUntilTheCallInFlightHasReturned() throws Exception {
    // On one processor both want one thread, and the second waits for a free processor instead.
    int first = PROCESSORS;
    int second = 1;
    AtomicBoolean entered = new AtomicBoolean();
    AtomicInteger seen = new AtomicInteger();
    try (BlasThreads.Lease lease = BlasThreads.lease(1)) {
      assertEquals(first, lease.perCall());
      Thread other =
          new Thread(
              () -> {
                BlasThreads.Lease mine = BlasThreads.lease(PROCESSORS + 1);
                try (mine) {
                  BlasCoordinator.run(
                      () -> {
                        entered.set(true);
                        seen.set(openblas.blas_get_num_threads());
                      });
                }
              });
      BlasCoordinator.Call call = BlasCoordinator.enter();
      try {
        assertEquals(first, openblas.blas_get_num_threads());
        other.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (other.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        assertEquals(Thread.State.WAITING, other.getState(), "the second call should wait");
        assertFalse(entered.get(), "the second call ran while the first was in flight");
        assertEquals(first, openblas.blas_get_num_threads(), "the count changed under a call");
      } finally {
        call.close();
        other.join();
      }
    }
    assertTrue(entered.get());
    assertEquals(second, seen.get());
  }

  @Test
  void nestedCallsOnOneThreadPassThrough() {
    try (BlasThreads.Lease lease = BlasThreads.lease(1)) {
      int threads =
          BlasCoordinator.call(
              () -> BlasCoordinator.call(() -> BlasCoordinator.call(BlasThreads::current)));
      assertEquals(lease.perCall(), threads);
    }
  }

  @Test
  void eightLeasesOfDifferentSizesNeverSeeTheCountChangeDuringACall() throws Exception {
    FloatMatrix w = TestMatrices.trainedLike(160, 120, 4);
    SvdBackend exact = SvdBackends.exact();
    SvdBackend auto = SvdBackends.auto(5);
    List<Integer> workers = List.of(1, 2, 3, 4, 1, 2, 3, 4);
    // The serial results, each under its own lease, one at a time.
    List<float[]> serial = new ArrayList<>();
    for (int size : workers) {
      try (BlasThreads.Lease lease = BlasThreads.lease(size)) {
        serial.add(work(w, exact, auto, lease.perCall(), new AtomicInteger()));
      }
    }
    AtomicInteger violations = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(workers.size());
    try {
      List<Future<float[]>> futures = new ArrayList<>();
      for (int size : workers) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  try (BlasThreads.Lease lease = BlasThreads.lease(size)) {
                    float[] last = new float[0];
                    for (int round = 0; round < 5; round++) {
                      last = work(w, exact, auto, lease.perCall(), violations);
                    }
                    return last;
                  }
                }));
      }
      start.countDown();
      for (int i = 0; i < workers.size(); i++) {
        assertArrayEquals(serial.get(i), futures.get(i).get(), "results of lease " + i);
      }
    } finally {
      pool.shutdown();
    }
    assertEquals(0, violations.get(), "calls that saw a count other than their lease's");
  }

  /**
   * Factorizes under the calling thread's lease: once inside one call that checks that OpenBLAS
   * runs with the lease's count before and after the native work, once as separate calls; returns
   * the factors' values and residuals.
   */
  private static float[] work(
      FloatMatrix w, SvdBackend exact, SvdBackend auto, int expected, AtomicInteger violations) {
    LowRankFactors inOneCall =
        BlasCoordinator.call(
            () -> {
              int before = openblas.blas_get_num_threads();
              LowRankFactors factors =
                  LowRankFactors.truncate(exact.decompose(w, RankTarget.leading(20)), 20);
              int after = openblas.blas_get_num_threads();
              if (before != expected || after != expected) {
                violations.incrementAndGet();
              }
              return factors;
            });
    LowRankFactors separate =
        LowRankFactors.truncate(auto.decompose(w, RankTarget.leading(20)), 20);
    float[] a = inOneCall.a().data();
    float[] b = separate.b().data();
    float[] out = new float[a.length + b.length + 2];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    out[out.length - 2] = (float) inOneCall.residualNorm(w);
    out[out.length - 1] = (float) separate.residualNorm(w);
    return out;
  }
}
