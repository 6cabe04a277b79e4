package dev.lowrank.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.DataFileException;
import dev.lowrank.data.DataOptions;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.datasets.Digits;
import dev.lowrank.eval.accuracy.AccuracyComparison;
import dev.lowrank.eval.latency.LatencyComparison;
import dev.lowrank.eval.latency.LatencySettings;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.report.ReportWriters;
import dev.lowrank.eval.testing.DataFiles;
import dev.lowrank.eval.testing.DigitsFixtures;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.io.InputFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluationTest {

  @TempDir Path tmp;

  private static LatencySettings quickLatency() {
    return LatencySettings.builder()
        .optBatchSizes(List.of(1, 8, 64))
        .optWarmup(Duration.ofMillis(20), 3)
        .optBudget(Duration.ofMillis(150))
        .optIterations(10, 1000)
        .build();
  }

  @Test
  void evaluatesTheCompressedDigitsMlpFromACsvFile() throws Exception {
    Path csv = DataFiles.writeCsv(tmp.resolve("digits-test.csv"), Digits.test(), "label");
    EvalReport report =
        Evaluation.builder()
            .setOriginal(DigitsFixtures.mlp())
            .setCompressed(DigitsFixtures.compressed(RankPolicy.rank(16)))
            .setData(DataSource.file(csv, DataOptions.defaults()))
            .optLatency(quickLatency())
            .optMaxAccuracyDrop(0.05)
            .build()
            .run();
    assertEquals(6570, report.params().original());
    assertTrue(report.params().compressed() < report.params().original());
    assertEquals(3, report.params().layers().size());
    AccuracyComparison a = report.accuracy().orElseThrow();
    assertEquals(360, a.original().samples());
    assertTrue(a.original().top1() > 0.93, "a trained MLP: " + a.original().top1());
    assertEquals(a.original().top1() - a.compressed().top1(), a.drop(), 1e-12);
    assertTrue(a.original().top5().isPresent());
    assertTrue(report.fidelity().top1Agreement() > 0.5);
    assertEquals(10, report.outputs());
    assertEquals(3, report.latency().size());
    for (LatencyComparison c : report.latency()) {
      assertTrue(c.original().iterations() >= 10 && c.original().p50Ms() <= c.original().p95Ms());
      assertEquals(c.original().iterations(), c.compressed().iterations(), "interleaved pairs");
    }
    assertTrue(report.threads().intraOp() >= 1);
    assertEquals(3, report.spectra().size());
    assertEquals(2, report.tradeoff().size());
    assertTrue(report.original().sizeBytes() > report.compressed().sizeBytes());
    assertEquals(SampleShape.flat(64), report.data().inputShape());
    assertEquals(a.drop() <= 0.05, report.gate().orElseThrow().passed());
    assertEquals(List.of(), report.warnings(), "its manifest names this very original");
    Path out = Path.of("target", "eval-reports");
    Files.createDirectories(out);
    ReportWriters.write(report, out.resolve("digits-mlp.html"));
    ReportWriters.write(report, out.resolve("digits-mlp.json"));
    ReportWriters.write(report, out.resolve("digits-mlp.md"));
  }

  @Test
  void unlabeledDataGivesFidelityAndADisagreementGate() throws Exception {
    EvalReport report =
        Evaluation.builder()
            .setOriginal(DigitsFixtures.mlp())
            .setCompressed(DigitsFixtures.compressed(RankPolicy.rank(8)))
            .setData(DigitsFixtures.digitsTest().withoutLabels())
            .optSkipLatency()
            .optSpectra(false, 1)
            .optMaxAccuracyDrop(0.01)
            .build()
            .run();
    assertTrue(report.accuracy().isEmpty());
    assertTrue(report.latency().isEmpty());
    assertTrue(report.spectra().isEmpty());
    double disagreement = 1 - report.fidelity().top1Agreement();
    assertTrue(disagreement > 0.01, "rank 8 changes many predictions: " + disagreement);
    assertFalse(report.gate().orElseThrow().passed());
    assertEquals("top1-disagreement", report.gate().orElseThrow().checks().get(0).name());
    assertTrue(report.fidelity().relativeL2Error() > 0);
  }

  @Test
  void identicalModelsAgreeExactly() throws Exception {
    EvalReport report =
        Evaluation.builder()
            .setOriginal(DigitsFixtures.mlp())
            .setCompressed(DigitsFixtures.mlp())
            .setData(DigitsFixtures.digitsTest())
            .optSkipLatency()
            .optMaxAccuracyDrop(0)
            .build()
            .run();
    assertEquals(1.0, report.fidelity().top1Agreement(), 0);
    assertEquals(0.0, report.fidelity().relativeL2Error(), 0);
    assertEquals(0.0, report.accuracy().orElseThrow().drop(), 0);
    assertTrue(report.gate().orElseThrow().passed());
    assertEquals(
        List.of(
            DigitsFixtures.mlp()
                + ": has no lowrank manifest, so it cannot be checked that it was compressed from "
                + DigitsFixtures.mlp()
                + "; compared anyway"),
        report.warnings(),
        "a model lowrank did not write is compared, with a warning");
  }

  @Test
  void aModelCompressedFromAnotherOriginalIsRefusedNamingBoth() throws Exception {
    Path other = DigitsFixtures.imageShapedMlp();
    Path compressed = DigitsFixtures.compressed(RankPolicy.rank(16));
    ModelFileException e =
        assertThrows(
            ModelFileException.class,
            () ->
                Evaluation.builder()
                    .setOriginal(other)
                    .setCompressed(compressed)
                    .setData(DigitsFixtures.digitsTest())
                    .optSkipLatency()
                    .build()
                    .run());
    assertTrue(
        e.getMessage()
            .startsWith(
                compressed
                    + ": was compressed from '"
                    + DigitsFixtures.mlp().getFileName()
                    + "' with SHA-256 "),
        e.getMessage());
    assertTrue(e.getMessage().contains(", not from " + other + " (SHA-256 "), e.getMessage());
  }

  @Test
  void flatDataFeedsAModelThatStoresAnImageShape() throws Exception {
    Path model = DigitsFixtures.imageShapedMlp();
    EvalReport report =
        Evaluation.builder()
            .setOriginal(model)
            .setCompressed(model)
            .setData(DigitsFixtures.digitsTest().first(40))
            .optSkipLatency()
            .optSpectra(false, 1)
            .build()
            .run();
    assertEquals(SampleShape.of(1, 8, 8), report.data().inputShape());
    assertEquals(40, report.data().samples());
  }

  @Test
  void imageFoldersAreReadAtTheModelsInputShape() throws Exception {
    Path images =
        DataFiles.writeImageFolder(tmp.resolve("digits"), Digits.test().select(range(30)), 2);
    EvalReport report =
        Evaluation.builder()
            .setOriginal(DigitsFixtures.mlp())
            .setCompressed(DigitsFixtures.mlp())
            .setData(DataSource.file(images, DataOptions.defaults()))
            .optSkipLatency()
            .optSpectra(false, 1)
            .build()
            .run();
    assertEquals("images", report.data().format());
    assertEquals(30, report.data().samples());
    assertTrue(report.accuracy().orElseThrow().original().top1() > 0.8);
  }

  @Test
  void badInputIsAOneLineErrorNamingTheFile() throws Exception {
    Path model = DigitsFixtures.mlp();
    // Missing data file.
    Path missing = tmp.resolve("missing.csv");
    assertError(
        model, DataSource.file(missing, DataOptions.defaults()), missing + ": no such file");
    // Label column absent.
    Path noLabel = tmp.resolve("nolabel.csv");
    Files.writeString(noLabel, "a,b\n1,2\n");
    assertError(
        model,
        DataSource.file(noLabel, DataOptions.defaults()),
        noLabel + ": label column 'label' is absent");
    // Labels outside the model's 10 outputs.
    Path wide = tmp.resolve("wide.csv");
    Dataset twelve = DigitsFixtures.digitsTest().first(3);
    StringBuilder csv = new StringBuilder();
    for (int j = 0; j < 64; j++) {
      csv.append("x").append(j).append(',');
    }
    csv.append("label\n");
    for (int i = 0; i < 3; i++) {
      for (float v : twelve.features(i)) {
        csv.append(v).append(',');
      }
      csv.append(i == 2 ? 12 : 1).append('\n');
    }
    Files.writeString(wide, csv);
    assertError(
        model,
        DataSource.file(wide, DataOptions.defaults()),
        wide + ": label 12 (sample 2) is outside the model's range: it has 10 outputs");
    // Empty data.
    Path empty = tmp.resolve("empty.csv");
    Files.writeString(empty, "x,label\n");
    assertError(
        model,
        DataSource.file(empty, DataOptions.defaults()),
        empty + ": holds a header but no samples");
    // Shape mismatch between data and model.
    Path narrow = tmp.resolve("narrow.csv");
    Files.writeString(narrow, "a,b,label\n1,2,0\n");
    assertError(
        model,
        DataSource.file(narrow, DataOptions.defaults()),
        narrow + ": shape mismatch: samples hold 2 values but the model " + model + " takes 64");
    // Missing model.
    Path noModel = tmp.resolve("no-model");
    ModelFileException e =
        assertThrows(
            ModelFileException.class,
            () ->
                Evaluation.builder()
                    .setOriginal(noModel)
                    .setCompressed(model)
                    .setData(DigitsFixtures.digitsTest())
                    .build()
                    .run());
    assertEquals(noModel + ": no such file or directory", e.getMessage());
  }

  @Test
  void aShapeTheModelDoesNotTakeNamesTheData() throws Exception {
    Path model = DigitsFixtures.mlp();
    DataFileException e =
        assertThrows(
            DataFileException.class,
            () ->
                Evaluation.builder()
                    .setOriginal(model)
                    .setCompressed(model)
                    .setData(DigitsFixtures.digitsTest())
                    .optInputShape(SampleShape.of(8, 8))
                    .optSkipLatency()
                    .build()
                    .run());
    assertTrue(
        e.getMessage().startsWith("digits-test: samples of shape 8x8 do not fit the model"),
        e.getMessage());
    assertTrue(e.getMessage().contains("--input-shape"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void misuseIsAnIllegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> Evaluation.builder().build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Evaluation.builder()
                .setOriginal(Path.of("a"))
                .setCompressed(Path.of("b"))
                .setData(DigitsFixtures.digitsTest())
                .optMaxAccuracyDrop(-1)
                .build());
  }

  private static void assertError(Path model, DataSource data, String start) {
    InputFileException e =
        assertThrows(
            InputFileException.class,
            () ->
                Evaluation.builder()
                    .setOriginal(model)
                    .setCompressed(model)
                    .setData(data)
                    .optSkipLatency()
                    .optSpectra(false, 1)
                    .build()
                    .run());
    assertTrue(e.getMessage().startsWith(start), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  private static int[] range(int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) {
      r[i] = i;
    }
    return r;
  }
}
