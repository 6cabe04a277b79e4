package dev.lowrank.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SvdBackendsTest {

  @Test
  void namedReturnsTheBackendOfThatName() {
    for (String name : SvdBackends.NAMES) {
      assertEquals(name, SvdBackends.named(name, 1).name());
    }
  }

  @Test
  void unknownNameIsRejectedWithTheKnownNames() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SvdBackends.named("lanczos", 1));
    assertTrue(e.getMessage().contains("'lanczos'"), e.getMessage());
    assertTrue(e.getMessage().contains("exact, randomized, auto"), e.getMessage());
  }

  @Test
  void blasThreadsCanBeSetAndReadBack() {
    int before = SvdBackends.blasThreads();
    assertTrue(before >= 1, "threads " + before);
    try {
      SvdBackends.setBlasThreads(1);
      assertEquals(1, SvdBackends.blasThreads());
    } finally {
      SvdBackends.setBlasThreads(before);
    }
    assertEquals(before, SvdBackends.blasThreads());
    assertThrows(IllegalArgumentException.class, () -> SvdBackends.setBlasThreads(0));
  }

  @Test
  void blasThreadsForSplitsTheProcessorsAmongParallelCalls() {
    int processors = Runtime.getRuntime().availableProcessors();
    assertEquals(processors, SvdBackends.blasThreadsFor(1));
    assertEquals(Math.max(1, processors / 2), SvdBackends.blasThreadsFor(2));
    assertEquals(1, SvdBackends.blasThreadsFor(processors + 1));
    assertThrows(IllegalArgumentException.class, () -> SvdBackends.blasThreadsFor(0));
  }
}
