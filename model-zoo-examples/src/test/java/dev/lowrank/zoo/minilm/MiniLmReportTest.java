package dev.lowrank.zoo.minilm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.eval.latency.LatencyComparison;
import dev.lowrank.eval.latency.LatencyStats;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The {@code minilm} table rendered from rows made here, without running the model. */
class MiniLmReportTest {

  private static LatencyComparison timed(int batch, long originalNanos, long compressedNanos) {
    return new LatencyComparison(
        batch,
        LatencyStats.of(batch, new long[] {originalNanos, originalNanos}),
        LatencyStats.of(batch, new long[] {compressedNanos, compressedNanos}));
  }

  private static MiniLmRow row(
      Optional<MiniLmMethod> method, long encoder, List<LatencyComparison> latency) {
    return new MiniLmRow(
        method.isPresent() ? OptionalDouble.of(0.5) : OptionalDouble.empty(),
        method,
        method.isPresent() ? "96/96/96/96/153/153" : "dense",
        encoder,
        encoder + 100,
        3L << 20,
        0.5,
        0.75,
        0.6,
        0.9,
        method.isPresent() ? 0.7 : 1,
        method.isPresent() ? 0.4 : 1,
        latency,
        method.isPresent() ? OptionalDouble.of(2.5) : OptionalDouble.empty());
  }

  private static MiniLmReport report(List<MiniLmMethod> methods) {
    MiniLmSettings settings =
        MiniLmSettings.builder()
            .optShares(List.of(0.5))
            .optMethods(methods)
            .optCalibrationTexts(32)
            .build();
    return new MiniLmReport(
        settings,
        new MiniLmReport.TextCounts(32, 10, 20, 30),
        List.of(
            row(Optional.empty(), 1000, List.of()),
            row(
                Optional.of(MiniLmMethod.PLAIN),
                500,
                List.of(timed(1, 2_000_000, 1_000_000), timed(32, 40_000_000, 40_000_000))),
            row(
                Optional.of(MiniLmMethod.WHITENED),
                500,
                List.of(timed(1, 2_000_000, 3_000_000), timed(32, 40_000_000, 20_000_000)))),
        0.75,
        OptionalLong.of(3456),
        List.of(100, 128));
  }

  @Test
  void theMarkdownTableHasOneRowPerModelAndSaysWhereCompressedIsNotFaster() {
    MiniLmReport r = report(List.of(MiniLmMethod.PLAIN, MiniLmMethod.WHITENED));
    String md = r.toMarkdown();
    List<String> lines = md.lines().toList();
    assertEquals(MiniLmReport.START, lines.get(0));
    assertEquals(MiniLmReport.END, lines.get(lines.size() - 1));
    assertTrue(lines.get(1).startsWith("| share | method | mean ranks q/k/v/o/in/out |"), md);
    assertTrue(lines.get(1).contains("| latency b=1 (p50) | latency b=32 (p50) | compress |"), md);
    assertEquals(
        "| 0.5 | plain | 96/96/96/96/153/153 | 500 (50.0%) | 600 | 3.0 MB | 0.500 | 0.750 |"
            + " 0.600 | 90.0% | 0.700 | 0.400 | 2.00 ms -> 1.00 ms (2.00x) | 40.0 ms -> 40.0 ms"
            + " (1.00x, not faster) | 2.5 s |",
        lines.get(4));
    assertTrue(lines.get(5).contains("| 2.00 ms -> 3.00 ms (0.67x, not faster) |"), md);
    assertTrue(lines.get(5).contains("| 40.0 ms -> 20.0 ms (2.00x) |"), md);
    assertTrue(lines.get(3).startsWith("| - | original | dense | 1,000 | 1,100 |"), md);
    assertTrue(
        md.contains("batch 1 of 100 tokens, batch 32 of 128 tokens"), "the timed batches: " + md);
    assertTrue(md.contains("32 texts of the calibration part, 3,456 tokens"), md);
    assertFalse(md.contains("sensitivity probes"), "no sensitivity method, no probes: " + md);
    assertTrue(
        report(List.of(MiniLmMethod.PLAIN, MiniLmMethod.SENSITIVITY))
            .caption()
            .contains("the sensitivity probes on 32 of them"));
  }

  @Test
  void rowsAreFoundByLabelAndCellsFollowTheColumns() {
    MiniLmReport r = report(List.of(MiniLmMethod.PLAIN, MiniLmMethod.WHITENED));
    assertEquals(500, r.row("0.5 whitened").encoderParameters());
    assertThrows(IllegalArgumentException.class, () -> r.row("0.3 plain"));
    for (List<String> cells : r.cells()) {
      assertEquals(r.columns().size(), cells.size());
    }
    assertEquals("0.25", MiniLmReport.share(0.25));
    assertEquals("0.5", MiniLmReport.share(0.50));
  }
}
