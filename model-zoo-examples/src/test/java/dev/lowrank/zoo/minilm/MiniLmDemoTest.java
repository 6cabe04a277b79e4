package dev.lowrank.zoo.minilm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.datasets.testing.TextFixture;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The end of {@code lowrank demo}, the {@code minilm} example in short, end to end on the real
 * texts: all-MiniLM-L6-v2's ONNX file from the Maven artifact, compressed at half of each encoder
 * layer's weights with plain SVD and with whitened truncation calibrated on 64 texts of the
 * calibration part, measured on the test part through DJL's OnnxRuntime engine. No thresholds on
 * task scores and no timing: what is asserted is the bookkeeping, and the property of the method on
 * real data that whitened factors at the same weights keep the embeddings closer to the original.
 */
class MiniLmDemoTest {

  private static MiniLmReport report;

  @BeforeAll
  static void runTheDemo() throws Exception {
    report = MiniLmDemo.run(TextFixture.cacheOrSkip());
  }

  @Test
  void measuresTheOriginalThenPlainAndWhitenedOnTheDisjointParts() {
    assertEquals(
        List.of("original", "0.5 plain", "0.5 whitened"),
        report.rows().stream().map(MiniLmRow::label).toList());
    assertEquals(new MiniLmReport.TextCounts(64, 50, 100, 100), report.texts());
    assertTrue(report.calibrationTokens().orElseThrow() > 64, "tokens, padding excluded");
    MiniLmRow original = report.row("original");
    assertEquals(1.0, original.cosineMean(), 1e-6);
    assertEquals(1.0, original.cosineMin(), 1e-6);
    assertEquals(22_565_376L, original.modelParameters());
    assertEquals(6L * (4 * 384 * 385 + 1536 * 385 + 384 * 1537), original.encoderParameters());
    assertTrue(original.recallAt10() >= original.recallAt1(), "recall@10 >= recall@1");
  }

  @Test
  void plainAndWhitenedHoldTheSameWeightsHalfTheEncodersInAProportionalFile() {
    MiniLmRow original = report.row("original");
    MiniLmRow plain = report.row("0.5 plain");
    MiniLmRow whitened = report.row("0.5 whitened");
    assertEquals("96/96/96/96/153/153", plain.ranks());
    assertEquals(plain.ranks(), whitened.ranks());
    assertEquals(plain.encoderParameters(), whitened.encoderParameters());
    assertEquals(plain.modelParameters(), whitened.modelParameters());
    double share = (double) plain.encoderParameters() / original.encoderParameters();
    assertTrue(share > 0.49 && share <= 0.5, "half of the encoder's linear weights: " + share);
    long saved = original.modelParameters() - plain.modelParameters();
    assertEquals(original.encoderParameters() - plain.encoderParameters(), saved);
    double params = (double) plain.modelParameters() / original.modelParameters();
    double bytes = (double) plain.fileBytes() / original.fileBytes();
    assertEquals(params, bytes, 0.01, "the file shrinks with the parameters");
  }

  @Test
  void whitenedKeepsTheEmbeddingsCloserToTheOriginalThanPlainAtTheSameWeights() {
    MiniLmRow plain = report.row("0.5 plain");
    MiniLmRow whitened = report.row("0.5 whitened");
    assertTrue(
        whitened.cosineMean() > plain.cosineMean(),
        "whitened " + whitened.cosineMean() + " vs plain " + plain.cosineMean());
  }

  @Test
  void eachCompressedModelIsTimedAgainstTheOriginalAndTheTableRendersIt() {
    for (String label : List.of("0.5 plain", "0.5 whitened")) {
      MiniLmRow row = report.row(label);
      assertEquals(List.of(1), row.latency().stream().map(c -> c.batchSize()).toList(), label);
      assertTrue(row.latency().get(0).original().p50Ms() > 0, label);
      assertTrue(row.latency().get(0).compressed().p50Ms() > 0, label);
      assertTrue(row.compressSeconds().orElseThrow() > 0, label);
    }
    assertTrue(report.row("original").latency().isEmpty());
    String md = report.toMarkdown();
    assertTrue(md.startsWith(MiniLmReport.START + "\n"), md);
    assertTrue(md.endsWith(MiniLmReport.END + "\n"), md);
    assertEquals(2 + 3, md.lines().filter(l -> l.startsWith("| ")).count(), md);
    assertTrue(md.contains("| 0.5 | whitened | 96/96/96/96/153/153 |"), md);
    assertTrue(md.contains("50 subject -> body retrieval pairs"), md);
    assertEquals(report.columns().size(), report.cells().get(0).size());
  }
}
