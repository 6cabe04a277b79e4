package dev.lowrank.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lowrank.data.DataFileException;
import dev.lowrank.data.DataOptions;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.SampleShape;
import dev.lowrank.datasets.Digits;
import dev.lowrank.eval.Evaluation;
import dev.lowrank.eval.accuracy.AccuracyComparison;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.testing.DataFiles;
import dev.lowrank.eval.testing.PythonTorch;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PyTorch judges eval's accuracy on TorchScript files: {@code torch_reference.py} trains an MLP
 * (scripted) and a CNN (traced) on the digits, writes each with a rank-4 copy, and counts its own
 * top-1 hits on the test split; eval's figures for the same files and data must agree within one
 * sample.
 */
class TorchReferenceTest {

  @TempDir static Path tmp;

  private static JsonObject reference;
  private static Path testCsv;

  @BeforeAll
  static void trainWithPyTorch() throws Exception {
    PythonTorch.require();
    Path train = DataFiles.writeCsv(tmp.resolve("train.csv"), Digits.train(), "label");
    testCsv = DataFiles.writeCsv(tmp.resolve("test.csv"), Digits.test(), "label");
    Path script = Path.of(TorchReferenceTest.class.getResource("torch_reference.py").toURI());
    String out =
        PythonTorch.run(script, "train", train.toString(), testCsv.toString(), tmp.toString());
    reference = JsonParser.parseString(out.trim()).getAsJsonObject();
  }

  @Test
  void mlpAccuracyAgreesWithPyTorch() throws Exception {
    check("mlp", SampleShape.flat(64), false);
  }

  @Test
  void cnnAccuracyAgreesWithPyTorchWithAnExplicitInputShape() throws Exception {
    check("cnn", SampleShape.of(1, 8, 8), true);
  }

  @Test
  void aTorchScriptCnnFedFlatRowsAsksForTheInputShape() {
    Path cnn = Path.of(reference.getAsJsonObject("cnn").get("file").getAsString());
    DataFileException e =
        assertThrows(
            DataFileException.class,
            () ->
                Evaluation.builder()
                    .setOriginal(cnn)
                    .setCompressed(cnn)
                    .setData(DataSource.file(testCsv, DataOptions.defaults()))
                    .optSkipLatency()
                    .build()
                    .run());
    assertTrue(
        e.getMessage().startsWith(testCsv + ": samples of shape 64 do not fit"), e.getMessage());
    assertTrue(e.getMessage().contains("--input-shape"), e.getMessage());
  }

  private static void check(String name, SampleShape shape, boolean explicitShape)
      throws Exception {
    JsonObject original = reference.getAsJsonObject(name);
    JsonObject low = reference.getAsJsonObject(name + "-r4");
    Evaluation.Builder b =
        Evaluation.builder()
            .setOriginal(Path.of(original.get("file").getAsString()))
            .setCompressed(Path.of(low.get("file").getAsString()))
            .setData(DataSource.file(testCsv, DataOptions.defaults()))
            .optSkipLatency();
    if (explicitShape) {
      b.optInputShape(shape);
    }
    EvalReport report = b.build().run();
    assertEquals("torchscript", report.original().format());
    assertEquals(shape, report.data().inputShape());
    AccuracyComparison a = report.accuracy().orElseThrow();
    assertEquals(360, a.original().samples());
    assertWithinOneSample(original.get("correct").getAsInt(), a.original().top1Correct(), name);
    assertWithinOneSample(
        low.get("correct").getAsInt(), a.compressed().top1Correct(), name + "-r4");
    assertEquals(original.get("params").getAsLong(), report.params().original(), "parameters");
    assertTrue(a.drop() > 0.1, "rank 4 costs accuracy: " + a.drop());
  }

  private static void assertWithinOneSample(int torch, int eval, String what) {
    assertTrue(
        Math.abs(torch - eval) <= 1,
        what + ": PyTorch counts " + torch + " correct, eval " + eval + " (of 360)");
  }
}
