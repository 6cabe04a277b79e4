package dev.lowrank.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The forward report's structure on a quick run (its figures belong to the bench command). */
class ForwardReportTest {

  @Test
  void quickRunWithoutPythonMeasuresEveryShapeAndSaysWhatIsMissing() throws Exception {
    ForwardReport.Result r = ForwardReport.run(Optional.empty(), true);
    assertEquals(2 * (1 + ForwardReport.SHAPES.size()), r.djl().size());
    for (ForwardReport.Timing t : r.djl()) {
      assertTrue(t.denseMicros() > 0 && t.lowRankMicros() > 0, t.toString());
    }
    assertEquals(r.djl().size(), r.checks().size(), "one FLOP-ratio check per timing");
    assertTrue(r.torchScript().isEmpty());
    assertTrue(r.unavailable().get(0).startsWith("NumPy reference"), r.unavailable().toString());
    String table = ForwardReport.table(r);
    assertTrue(table.contains("DJL 4096x4096 r10"), table);
    assertTrue(ForwardReport.json(r).contains("\"checks\""));
    assertEquals(204.8, ForwardReport.LECTURE.flopRatio(), 1e-9);
  }
}
