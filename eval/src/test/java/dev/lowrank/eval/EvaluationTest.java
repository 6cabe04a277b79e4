package dev.lowrank.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.RankPolicy;
import dev.lowrank.eval.latency.LatencySettings;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.report.ReportWriters;
import dev.lowrank.eval.testing.DigitsFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvaluationTest {

  @Test
  void evaluatesCompressedDigitsMlp() throws Exception {
    Path original = DigitsFixtures.mlp();
    Path compressed = DigitsFixtures.compressed(RankPolicy.rank(8));
    EvalReport report =
        Evaluation.builder()
            .setOriginal(original)
            .setCompressed(compressed)
            .setData(DigitsFixtures.digitsTest())
            .optLatency(
                LatencySettings.builder()
                    .optBatchSizes(List.of(1, 8, 64))
                    .optWarmup(Duration.ofMillis(20), 3)
                    .optBudget(Duration.ofMillis(150))
                    .optIterations(10, 1000)
                    .build())
            .optMaxAccuracyDrop(0.05)
            .build()
            .run();
    Path out = Path.of("target", "eval-reports");
    Files.createDirectories(out);
    ReportWriters.write(report, out.resolve("eval.json"));
    ReportWriters.write(report, out.resolve("eval.md"));
    ReportWriters.write(report, out.resolve("eval.html"));
    System.err.println(ReportWriters.markdown().render(report));
    assertEquals(6570, report.params().original());
    assertTrue(report.accuracy().isPresent());
  }
}
