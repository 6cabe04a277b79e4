package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code compress --finetune}: the options, their errors and a real run on the MLP fixture. */
class FinetuneCommandTest {

  @TempDir static Path shared;
  @TempDir Path tmp;
  static Path model;

  @BeforeAll
  static void copyTheMlpFixture() throws IOException {
    model = shared.resolve("mlp_scripted.pt");
    try (InputStream in =
        FinetuneCommandTest.class.getResourceAsStream(
            "/dev/lowrank/datasets/torchscript/mlp_scripted.pt")) {
      Files.copy(in, model);
    }
  }

  private CliRun compress(Path out, String... more) {
    String[] base = {
      "compress", "--model", model.toString(), "--out", out.toString(), "--rank", "8"
    };
    String[] args = new String[base.length + more.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(more, 0, args, base.length, more.length);
    return CliRun.of(args);
  }

  @Test
  void finetunesOnTheDigitsTrainingSplitAndRecordsIt() throws Exception {
    Path out = tmp.resolve("mlp8-ft.pt");
    Path report = tmp.resolve("r.json");
    CliRun run =
        compress(
            out,
            "--finetune",
            "digits-train",
            "--finetune-epochs",
            "2",
            "--report",
            report.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("fine-tuned 3 layers on digits training split (kl"), run.out());
    assertTrue(run.out().contains("epoch  1  train loss"), run.out());
    assertTrue(Files.isRegularFile(out));
    JsonObject f =
        JsonParser.parseString(Files.readString(report))
            .getAsJsonObject()
            .getAsJsonObject("finetune");
    assertEquals("kl", f.get("loss").getAsString());
    assertEquals(1437 - 144, f.getAsJsonObject("data").get("train").getAsInt());
    assertTrue(f.getAsJsonArray("epochs").size() <= 2);
    assertTrue(
        f.getAsJsonObject("after").get("fidelity").getAsDouble()
            > f.getAsJsonObject("before").get("fidelity").getAsDouble(),
        f.toString());
  }

  @Test
  void badDataExitsTwoWithOneLineAndWritesNothing() {
    Path out = tmp.resolve("out.pt");
    Path missing = tmp.resolve("train.csv");
    CliRun run = compress(out, "--finetune", missing.toString());
    assertEquals(2, run.exitCode(), run.err());
    assertEquals("lowrank compress: " + missing + ": no such file or directory\n", run.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void finetuneOptionsNeedFinetuneAndFitTogether() {
    Path out = tmp.resolve("out.pt");
    CliRun alone = compress(out, "--finetune-epochs", "3", "--finetune-lr", "0.01");
    assertEquals(2, alone.exitCode());
    assertTrue(
        alone.err().contains("--finetune-epochs, --finetune-lr only apply with --finetune DATA"),
        alone.err());
    CliRun both =
        compress(out, "--finetune", "digits-train", "--finetune-labels", "--finetune-loss", "mse");
    assertEquals(2, both.exitCode());
    assertTrue(both.err().contains("drop --finetune-loss"), both.err());
    CliRun badLoss = compress(out, "--finetune", "digits-train", "--finetune-loss", "hinge");
    assertEquals(2, badLoss.exitCode());
    assertTrue(badLoss.err().contains("use one of kl, cosine, mse"), badLoss.err());
    CliRun search =
        CliRun.of(
            "compress",
            "--model",
            model.toString(),
            "--out",
            out.toString(),
            "--max-accuracy-drop",
            "0.01",
            "--data",
            "digits",
            "--finetune",
            "digits-train");
    assertEquals(2, search.exitCode());
    assertTrue(search.err().contains("cannot be combined with --max-accuracy-drop"), search.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void helpSaysWhichFormatsCanBeTrained() {
    CliRun help = CliRun.of("compress", "--help");
    assertEquals(0, help.exitCode());
    String text = help.out().replaceAll("\\s+", " ");
    assertTrue(text.contains("--finetune=DATA"), text);
    assertTrue(
        text.contains("TorchScript files can be trained in Java (ONNX models are refused)"), text);
  }
}
