package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.ConvFormChoice;
import dev.lowrank.zoo.ExampleTrainer;
import dev.lowrank.zoo.Examples;
import dev.lowrank.zoo.TrainingPlan;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CompressCommandTest {

  @TempDir static Path shared;
  @TempDir Path tmp;
  static Path model;

  @BeforeAll
  static void train() throws Exception {
    model =
        ExampleTrainer.trainOrLoad(
            Examples.djl("mlp-digits"), new TrainingPlan(3, 64, 1e-3f, 5), shared.resolve("cache"));
  }

  @Test
  void compressesAndWritesTheJsonReport() throws Exception {
    Path out = tmp.resolve("mlp-r16");
    Path report = tmp.resolve("r.json");
    CliRun run =
        CliRun.of(
            "compress",
            "--model",
            model.toString(),
            "--out",
            out.toString(),
            "--rank",
            "16",
            "--layer",
            "05Linear=dense",
            "--report",
            report.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("01Linear"), run.out());
    assertTrue(run.out().contains("parameters: 50,826 -> "), run.out());
    JsonObject json = JsonParser.parseString(Files.readString(report)).getAsJsonObject();
    JsonObject params = json.getAsJsonObject("params");
    assertEquals(50_826, params.get("original").getAsLong());
    long expected = 50_826 - (256 * 64 - 16 * (256 + 64)) - (128 * 256 - 16 * (128 + 256));
    assertEquals(expected, params.get("compressed").getAsLong());
    assertEquals(3, json.getAsJsonArray("layers").size());
    assertEquals(
        "kept dense by rule 05Linear=dense",
        json.getAsJsonArray("layers").get(2).getAsJsonObject().get("reason").getAsString());
    assertTrue(Files.isRegularFile(out.resolve("lowrank-manifest.json")));
  }

  @ParameterizedTest
  @CsvSource({
    "--rank, 0, rank must be a positive integer",
    "--rank, -4, rank must be a positive integer",
    "--rank, 9999, exceeds min(n, m) of every linear layer",
    "--energy, 0, energy must be in (0, 1]",
    "--energy, 1.5, energy must be in (0, 1]",
    "--energy, NaN, energy must be in (0, 1]",
    "--ratio, 1, ratio must be in (0, 1)",
    "--ratio, -0.5, ratio must be in (0, 1)",
  })
  void badPolicyValuesExitTwoWithOneLine(String option, String value, String message) {
    Path out = tmp.resolve("out");
    CliRun run =
        CliRun.of("compress", "--model", model.toString(), "--out", out.toString(), option, value);
    assertEquals(2, run.exitCode());
    assertTrue(run.err().contains(message), run.err());
    assertTrue(run.err().startsWith("lowrank compress: " + model), run.err());
    assertEquals(1, run.err().strip().lines().count(), run.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void badFilesAndUsageExitTwo() throws Exception {
    Path junk = tmp.resolve("junk.pt");
    Files.write(junk, new byte[] {1, 2, 3, 4});
    CliRun notAModel =
        CliRun.of(
            "compress",
            "--model",
            junk.toString(),
            "--out",
            tmp.resolve("o").toString(),
            "--rank",
            "4");
    assertEquals(2, notAModel.exitCode());
    assertTrue(notAModel.err().contains(junk + ": is not a zip archive"), notAModel.err());

    CliRun same =
        CliRun.of(
            "compress", "--model", model.toString(), "--out", model.toString(), "--rank", "4");
    assertEquals(2, same.exitCode());
    assertTrue(
        same.err().contains("--out " + model + " is the same file as --model " + model),
        same.err());

    CliRun missing = CliRun.of("compress", "--model", model.toString(), "--rank", "4");
    assertEquals(2, missing.exitCode());
    assertTrue(missing.err().contains("Missing required option: '--out=OUT'"), missing.err());

    CliRun twoPolicies =
        CliRun.of(
            "compress",
            "--model",
            model.toString(),
            "--out",
            "x",
            "--rank",
            "4",
            "--energy",
            "0.9");
    assertEquals(2, twoPolicies.exitCode());
    assertTrue(twoPolicies.err().contains("mutually exclusive"), twoPolicies.err());

    CliRun unknown = CliRun.of("squash");
    assertEquals(2, unknown.exitCode());
  }

  /** A copy of the bundled MLP TorchScript fixture, for tests that must not touch the original. */
  private Path torchScriptModel() throws IOException {
    Path m = tmp.resolve("m.pt");
    try (InputStream in =
        CompressCommandTest.class.getResourceAsStream(
            "/dev/lowrank/datasets/torchscript/mlp_scripted.pt")) {
      Files.copy(in, m);
    }
    return m;
  }

  @Test
  void anOutputThatIsTheInputIsRefusedBeforeAnyWork() throws Exception {
    Path m = torchScriptModel();
    byte[] original = Files.readAllBytes(m);
    Path out = tmp.resolve("m8.pt");
    Path symlink = Files.createSymbolicLink(tmp.resolve("link.json"), m);
    Path hardLink = Files.createLink(tmp.resolve("hard.json"), m);
    Path sub = Files.createDirectories(tmp.resolve("sub"));
    for (Path report : List.of(m, symlink, hardLink, sub.resolve("../m.pt"))) {
      CliRun run =
          CliRun.of(
              "compress",
              "--model",
              m.toString(),
              "--rank",
              "8",
              "--out",
              out.toString(),
              "--report",
              report.toString());
      assertEquals(2, run.exitCode(), run.err());
      assertEquals(
          "lowrank compress: --report "
              + report
              + " is the same file as --model "
              + m
              + "; choose another path\n",
          run.err());
      assertEquals("", run.out());
      assertArrayEquals(original, Files.readAllBytes(m), "the input is untouched");
      assertFalse(Files.exists(out), "nothing is written");
    }
    CliRun reportIsOut =
        CliRun.of(
            "compress",
            "--model",
            m.toString(),
            "--rank",
            "8",
            "--out",
            out.toString(),
            "--report",
            out.toString());
    assertEquals(2, reportIsOut.exitCode());
    assertTrue(
        reportIsOut.err().contains("--report " + out + " is the same file as --out " + out),
        reportIsOut.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void aReportThatCannotBeWrittenFailsBeforeTheModelIsWritten() throws Exception {
    Path m = torchScriptModel();
    Path out = tmp.resolve("m8.pt");
    Path dir = Files.createDirectories(tmp.resolve("reports"));
    String[][] cases = {
      {dir.toString(), "--report " + dir + ": is a directory; give a file name"},
      {
        m.resolve("r.json").toString(),
        "--report "
            + m.resolve("r.json")
            + ": cannot be created, "
            + m
            + " is a file, not a"
            + " directory"
      },
      {
        "/proc/self/r.json",
        "--report /proc/self/r.json: cannot be written, the directory /proc/self is not writable"
      }
    };
    for (String[] c : cases) {
      CliRun run =
          CliRun.of(
              "compress",
              "--model",
              m.toString(),
              "--rank",
              "8",
              "--out",
              out.toString(),
              "--report",
              c[0]);
      assertEquals(2, run.exitCode(), run.err());
      assertEquals("lowrank compress: " + c[1] + "\n", run.err());
      assertFalse(Files.exists(out), "the model is not written: " + c[0]);
    }
  }

  @Test
  void theSearchChecksItsOutputsBeforeAnyWork() throws Exception {
    Path m = torchScriptModel();
    Path out = tmp.resolve("m-small.pt");
    CliRun run =
        CliRun.of(
            "compress",
            "--model",
            m.toString(),
            "--max-accuracy-drop",
            "0.01",
            "--data",
            "digits",
            "--out",
            out.toString(),
            "--report",
            m.toString());
    assertEquals(2, run.exitCode(), run.err());
    assertTrue(run.err().contains("is the same file as --model"), run.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void parsesOptionsWithoutRunning() {
    CompressCommand cmd = new CompressCommand();
    picocli.CommandLine cli = new picocli.CommandLine(cmd);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.parseArgs(
        "--model",
        "m.pt",
        "--out",
        "o.pt",
        "--energy",
        "0.9",
        "--scope",
        "global",
        "--layer",
        "fc3=dense",
        "--svd",
        "exact",
        "--seed",
        "7");
    var spec = cmd.compression.spec(cmd.setting.policy());
    assertEquals("energy 0.9", spec.policy().describe());
    assertEquals("global", spec.settings().get("scope"));
    assertEquals("fc3=dense", spec.settings().get("rules"));
    assertEquals("exact", spec.settings().get("svd"));
    assertEquals(7, spec.seed());
  }

  @Test
  void convOptionsParseIntoTheSpecWithoutRunning() {
    CompressCommand cmd = new CompressCommand();
    picocli.CommandLine cli = new picocli.CommandLine(cmd);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.parseArgs(
        "--model", "m.pt", "--out", "o.pt", "--ratio", "0.5", "--conv", "--conv-form", "spatial");
    CompressionSpec spec = cmd.conv.apply(cmd.compression.spec(cmd.setting.policy()));
    assertTrue(spec.conv());
    assertEquals(ConvFormChoice.SPATIAL, spec.convForm());
    assertEquals("spatial", spec.settings().get("conv"));
    assertEquals("ratio 0.5", spec.policy().describe());

    CompressCommand plain = new CompressCommand();
    new picocli.CommandLine(plain)
        .setCaseInsensitiveEnumValuesAllowed(true)
        .parseArgs("--model", "m.pt", "--out", "o.pt", "--rank", "4");
    CompressionSpec linearOnly = plain.conv.apply(plain.compression.spec(plain.setting.policy()));
    assertFalse(linearOnly.conv(), "without --conv the spec compresses linear layers only");
    assertFalse(linearOnly.settings().containsKey("conv"));
  }

  @Test
  void compressesTheConvolutionsOfATorchScriptCnn() throws Exception {
    Path cnn = tmp.resolve("cnn_scripted.pt");
    try (java.io.InputStream in =
        getClass().getResourceAsStream("/dev/lowrank/datasets/torchscript/cnn_scripted.pt")) {
      Files.copy(in, cnn);
    }
    Path out = tmp.resolve("cnn-r4.pt");
    CliRun run =
        CliRun.of(
            "compress",
            "--model",
            cnn.toString(),
            "--out",
            out.toString(),
            "--rank",
            "4",
            "--conv",
            "--conv-form",
            "channel");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("32x16x3x3 s1 p1"), run.out());
    assertTrue(run.out().contains("4 channel"), run.out());
    assertTrue(run.out().contains("4 of 4 layers (2 convolutions) factorized"), run.out());

    CliRun noConv =
        CliRun.of(
            "compress",
            "--model",
            cnn.toString(),
            "--out",
            tmp.resolve("x.pt").toString(),
            "--rank",
            "4",
            "--conv-form",
            "spatial");
    assertEquals(2, noConv.exitCode(), noConv.out());
    assertTrue(noConv.err().contains("--conv-form needs --conv"), noConv.err());
  }
}
