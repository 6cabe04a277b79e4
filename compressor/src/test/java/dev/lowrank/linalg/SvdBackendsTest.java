package dev.lowrank.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SvdBackendsTest {

  @Test
  void eachMethodParsesFromItsNameAndCreatesTheBackendOfThatName() {
    for (SvdMethod m : SvdMethod.values()) {
      assertEquals(m, SvdMethod.parse(m.cliName()));
      assertEquals(m.cliName(), SvdBackends.create(m, 1).name());
    }
  }

  @Test
  void unknownNameIsRejectedWithTheKnownNames() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SvdMethod.parse("lanczos"));
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

  @Test
  void singularValuesAloneEqualThoseOfTheFullDecomposition() {
    int[][] shapes = {{40, 25}, {25, 40}, {1, 30}, {30, 1}, {64, 64}};
    for (int[] shape : shapes) {
      FloatMatrix w = TestMatrices.gaussian(shape[0], shape[1], 5);
      float[] expected =
          SvdBackends.exact().decompose(w, RankTarget.leading(Math.min(shape[0], shape[1]))).s();
      float[] values = SvdBackends.singularValues(w);
      org.junit.jupiter.api.Assertions.assertEquals(expected.length, values.length);
      for (int i = 0; i < values.length; i++) {
        org.junit.jupiter.api.Assertions.assertEquals(
            expected[i], values[i], 1e-5 * expected[0], shape[0] + "x" + shape[1] + " s" + i);
      }
    }
    float[] known =
        SvdBackends.singularValues(
            TestMatrices.withSpectrum(
                30,
                20,
                new float[] {
                  5, 3, 2, 1, 0.5f, 0.25f, 0.1f, 0.05f, 0.02f, 0.01f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
                },
                9));
    org.junit.jupiter.api.Assertions.assertEquals(5, known[0], 1e-5);
    org.junit.jupiter.api.Assertions.assertEquals(0.01f, known[9], 1e-5);
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> SvdBackends.singularValues(FloatMatrix.zeros(0, 3)));
  }
}
